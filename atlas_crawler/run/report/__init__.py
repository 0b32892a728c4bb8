"""The run report: built from the run state and the stats (``build``), written with
its HTML view when the engine stops (``writer``, ``html``)."""
