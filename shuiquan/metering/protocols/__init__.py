"""Telemetry protocol codecs used by the metering capability (pure Python, stdlib only).

* :mod:`.sl651`: SL 651-2014 水文监测数据通信规约 (HEX/BCD and ASCII modes).
* :mod:`.szy206`: SZY206-2016 / SL/T 427-2021 水资源监测数据传输规约.

Decoders take bytes and return a frozen dataclass, or raise a :class:`FrameError`
(:class:`ChecksumError` or :class:`FormatError`). They never return a partial
result. See ``README.md`` in this package for the field-by-field description.
"""

from . import sl651, szy206
from .common import ChecksumError, Element, FormatError, FrameError

__all__ = ["ChecksumError", "Element", "FormatError", "FrameError", "sl651", "szy206"]
