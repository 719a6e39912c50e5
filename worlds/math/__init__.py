"""MathAPI: the BFCL number operations; stateless."""
