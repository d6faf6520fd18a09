"""The node's web pages under ``/ui`` (issue 13): server-rendered Jinja2 templates over the same
services and the same ``access.policy.decide`` as the HTTP API. ``app.create_web_app`` builds the
sub-application that ``clearance.http.app`` mounts."""
