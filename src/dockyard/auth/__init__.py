"""Authentication at the edge: the access-controller seam every handler asks, and its controllers."""
