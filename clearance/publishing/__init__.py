"""Publishing a holding folder into the node, directly or from a completed upload."""
