"""The embedded default: AWS emulated by moto on 127.0.0.1, provisioned from infra/.

Nothing here is packaged by chalice; deployed stages never see it.
"""
