"""The trained model: :class:`Booster` (trees, objective, feature info; prediction, importance),
its forest layout for prediction and TreeSHAP, the JSON model file, and the parameter table."""
