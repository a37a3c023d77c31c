"""Chalice entry point: builds the app and registers blueprints, middleware and handlers."""
import gc

# A cold start allocates much and frees little: collecting cycles while it imports and serves
# its first event finds next to nothing, yet took about a fifth of it. Collection resumes
# once the first event is answered (chalicelib.middleware), with what the start built frozen.
gc.disable()

from aws_lambda_powertools import Logger
from chalice import Chalice

from chalicelib import events, middleware, snapstart
from chalicelib.blueprints.accounts import accounts
from chalicelib.blueprints.mail_links import mail_links
from chalicelib.blueprints.my_account import my_account
from chalicelib.blueprints.referrals import referrals
from chalicelib.blueprints.shop import shop
from chalicelib.blueprints.site import site
from chalicelib.blueprints.surveys import surveys
from shared.logs import SERVICE, install_redaction

# Chalice's logger shares the service's name; Powertools owns its one (redacting) handler.
app = Chalice(app_name=SERVICE, configure_logs=False)
logger = Logger(service=SERVICE)
install_redaction(logger.registered_handler)

middleware.install(app, logger)
app.register_blueprint(site)
app.register_blueprint(accounts)
app.register_blueprint(mail_links)
app.register_blueprint(referrals)
app.register_blueprint(surveys)
app.register_blueprint(my_account)
app.register_blueprint(shop)
events.register(app)
snapstart.register()
