"""``openyurt up``: a whole edge cluster on one machine — API server, yurt-manager, and per simulated
node a cuttable cloud link, a yurthub and a kubelet-like agent — so edge autonomy can be tried and
tested without a real cluster."""
