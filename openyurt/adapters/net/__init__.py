"""The host network as raven sees it: observe and change single items of a node's data plane.

``protocols`` names the narrow capabilities, ``linux`` implements them with netlink (pyroute2),
wireguard-tools / wireguard-go and iptables / ipset, ``memory`` keeps an in-memory host for tests.
"""
