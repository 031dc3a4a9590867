"""Closed-loop simulation: serve -> simulated users click -> feedback -> trigger -> retrain ->
hot swap."""
