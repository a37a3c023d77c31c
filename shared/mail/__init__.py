"""Mail: who may receive which kind (kinds.py), how a mail looks (render.py, templates/),
and how it leaves (ses.py)."""
