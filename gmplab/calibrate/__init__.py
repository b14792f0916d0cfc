"""Calibration against the real Go runtime (issue 11).

The real-Go side: ``probe/`` is a Go module (standard library only) whose ``gmplab-probe``
binary runs scheduler probes and prints ``gmplab-probe/1`` JSON; ``build`` compiles it and
copies a POSIX shell runner with its plans; the runner captures every probe at several
GOMAXPROCS values; ``capture.ingest`` turns a folder of captures into parquet tables under
``data/real/<machine>/``; ``cli`` is ``gmplab calibrate``. Fitting the simulator to the captures
(``fit``) and mirroring the probes in it (``mirror``) live beside these. See
docs/calibration.md.
"""
