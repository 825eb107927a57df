"""The demo job and the self-contained HTML report it writes.

``demo`` runs the job and prints its results; ``demo_result`` holds the dataclass it returns;
``demo_report`` turns that result into plots and a page; ``html`` is the generic writer (PNG
rendering without pyplot, and one HTML file with every image embedded), which the ``explain``
and ``calibrate`` commands also use for their PNGs.
"""
