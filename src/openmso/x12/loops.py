"""TR3 loop names for each segment of a transaction set (used by `pretty` output).

Loop starts are recognised by their first segment and its qualifier, as the TR3 defines them;
other segments stay in the loop that was last opened.
"""

from __future__ import annotations

_835_N1 = {"PR": "1000A", "PE": "1000B"}
_837_NM1_HEADER = {"41": "1000A", "40": "1000B", "85": "2010AA", "87": "2010AB", "IL": "2010BA",
                   "PR": "2010BB", "QC": "2010CA"}
_837_NM1_CLAIM = {"DN": "2310A", "P3": "2310A", "82": "2310B", "77": "2310C", "DQ": "2310D", "PW": "2310E",
                  "45": "2310F"}
_837_HL = {"20": "2000A", "22": "2000B", "23": "2000C"}
_277_HL = {"20": "2000A", "21": "2000B", "19": "2000C", "PT": "2000D"}


def _loops_835(segments: list[list[str]]) -> list[str]:
    names, loop = [], "HEADER"
    for segment in segments:
        segment_id = segment[0]
        if segment_id == "N1":
            loop = _835_N1.get(segment[1], loop)
        elif segment_id == "LX":
            loop = "2000"
        elif segment_id == "CLP":
            loop = "2100"
        elif segment_id == "SVC":
            loop = "2110"
        elif segment_id in ("PLB", "SE"):
            loop = "SUMMARY"
        names.append(loop)
    return names


def _loops_837(segments: list[list[str]]) -> list[str]:
    names, loop, in_claim = [], "HEADER", False
    for segment in segments:
        segment_id = segment[0]
        qualifier = segment[1] if len(segment) > 1 else ""
        if segment_id == "HL":
            loop = _837_HL.get(segment[3] if len(segment) > 3 else "", "2000")
            in_claim = False
        elif segment_id == "CLM":
            loop, in_claim = "2300", True
        elif segment_id == "SBR" and in_claim:
            loop = "2320"
        elif segment_id == "LX":
            loop = "2400"
        elif segment_id == "NM1":
            if loop.startswith("24"):
                loop = "2420"
            elif loop.startswith(("232", "233")):
                loop = "2330"
            elif in_claim:
                loop = _837_NM1_CLAIM.get(qualifier, "2310")
            else:
                loop = _837_NM1_HEADER.get(qualifier, loop)
        elif segment_id == "SE":
            loop = "TRAILER"
        names.append(loop)
    return names


def _loops_999(segments: list[list[str]]) -> list[str]:
    names, loop = [], "HEADER"
    for segment in segments:
        loop = {"AK2": "2000", "IK3": "2100", "IK4": "2110", "IK5": "2000", "AK9": "TRAILER"}.get(segment[0], loop)
        names.append(loop)
    return names


def _loops_277(segments: list[list[str]]) -> list[str]:
    names, loop = [], "HEADER"
    for segment in segments:
        segment_id = segment[0]
        if segment_id == "HL":
            loop = _277_HL.get(segment[3] if len(segment) > 3 else "", "2000")
        elif segment_id == "NM1":
            loop = "2100" + loop[-1]
        elif segment_id == "TRN" and loop.startswith("2100"):
            loop = "2200" + loop[-1]
        elif segment_id == "SVC":
            loop = "2220D"
        names.append(loop)
    return names


_BY_SET = {"835": _loops_835, "837": _loops_837, "999": _loops_999, "277": _loops_277}


def loop_names(set_id: str, segments: list[list[str]]) -> list[str]:
    """One TR3 loop name per segment (ST to SE) of a transaction set of type `set_id`."""
    function = _BY_SET.get(set_id)
    if function is None:
        return [""] * len(segments)
    return function(segments)
