"""Importers: bring runs logged with other tools into Tracklet.

Each importer reads its source and describes every run it finds as records (the same
records a live run writes, with the source's own steps and wall times) in a run-log
segment under the data directory (``DIR/runs/<run-id>/import-<digest>.tlog``); the
segment is then shipped like any other run log, into the local store or to a server. So
an import is as idempotent as ``tracklet sync``: importing the same source again writes
the same segment, which the receiver already holds, and a source that grew since gets a
new segment whose records overwrite the same steps with the same values.

- ``tensorboard``: tfevents files (scalars, histograms, images, hparams), read with the
  ``tensorboard`` package (``pip install 'tracklet[tensorboard]'``).
- ``mlflow``: experiments and runs of any MLflow tracking URI (params, metrics with
  their steps, tags), read with ``mlflow-skinny`` (``pip install 'tracklet[mlflow]'``).
"""
