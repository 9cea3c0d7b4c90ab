"""Course deliverables from the notebooks' own checkpoints, with no notebook open.

    python -m helpers.predict <problem> --checkpoint PATH --input PATH --output PATH
    python -m helpers.evaluate <measure> PRED TRUTH

- :mod:`record`: what a checkpoint carries so that its model can be rebuilt (problem, model settings).
- :mod:`files`: input images and folders checked up front, outputs written to a temporary place and
  renamed, so that a failure leaves nothing half-written.
- :mod:`problems`: the problems, each with its output format and its ``predict`` function.
- :mod:`scores`: the measures of ``helpers.evaluate``, the same functions the notebooks report with.
"""
