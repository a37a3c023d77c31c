"""The Chalice edge: routes, pages, cookies, error mapping and middleware."""
