"""Training: the one boosting loop (:func:`train`, :func:`cv`) and its callbacks."""
