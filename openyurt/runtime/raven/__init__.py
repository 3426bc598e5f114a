"""Raven daemons: the node agent, the gateway-pickup controller and their ``openyurt raven`` commands."""
