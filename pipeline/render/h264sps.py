"""Whether a cursor may let H.264 skip non-reference pictures: what its SPS declares (ITU-T H.264
7.3.2.1.1 and E.1.1), read from a stream's extradata (:mod:`pipeline.render.framecursor`)."""

from __future__ import annotations

from typing import Any


def skippable(stream: Any) -> bool:
    """Whether :class:`Feed` may skip in ``stream``: H.264 whose every SPS (in the extradata) codes
    frames only and declares its reorder depth."""
    context = stream.codec_context
    if context.name != "h264" or not context.extradata:
        return False
    found = [_sps_allows(sps) for sps in _sps_units(bytes(context.extradata))]
    return bool(found) and all(found)


def _sps_units(extradata: bytes) -> list[bytes]:
    """The SPS NAL units (header byte included) of an ``avcC`` record or of Annex B bytes."""
    if extradata[:1] == b"\x01":  # avcC: version, profile, compatibility, level, length size, SPS count
        units, pos = [], 6
        for _ in range(extradata[5] & 0x1F if len(extradata) > 5 else 0):
            size = int.from_bytes(extradata[pos : pos + 2], "big")
            units.append(extradata[pos + 2 : pos + 2 + size])
            pos += 2 + size
        return [u for u in units if u]
    nals = extradata.replace(b"\x00\x00\x00\x01", b"\x00\x00\x01").split(b"\x00\x00\x01")
    return [n for n in nals if n and n[0] & 0x1F == 7]


class _Bits:
    """An RBSP read field by field (emulation prevention bytes removed); :class:`EOFError` past its end."""

    def __init__(self, nal: bytes) -> None:
        self.bits = "".join(f"{b:08b}" for b in nal[1:].replace(b"\x00\x00\x03", b"\x00\x00"))
        self.pos = 0

    def u(self, n: int) -> int:
        field = self.bits[self.pos : self.pos + n]
        if len(field) < n:
            raise EOFError
        self.pos += n
        return int(field, 2) if n else 0

    def ue(self) -> int:
        zeros = self.bits.find("1", self.pos) - self.pos
        if zeros < 0:
            raise EOFError
        self.pos += zeros + 1
        return (1 << zeros) - 1 + self.u(zeros)

    def skip(self, fields: str) -> None:
        """Read past ``fields``: ``ue`` or ``se`` (Exp-Golomb codes, of one length) or a width in bits."""
        for field in fields.split():
            self.ue() if field in ("ue", "se") else self.u(int(field))

    def when(self, fields: str) -> bool:
        """Read a flag, and past ``fields`` (as :meth:`skip`) when it is set."""
        if flag := bool(self.u(1)):
            self.skip(fields)
        return flag


def _sps_allows(nal: bytes) -> bool:
    """Whether an H.264 SPS has ``frame_mbs_only_flag`` and a VUI with ``bitstream_restriction_flag``
    (ITU-T H.264 7.3.2.1.1 and E.1.1); False when it is not read to the end."""
    try:
        bits = _Bits(nal)
        profile = bits.u(8)
        bits.skip("16 ue")  # constraint flags and level, seq_parameter_set_id
        if profile in (100, 110, 122, 244, 44, 83, 86, 118, 128, 138, 139, 134, 135):
            bits.skip("1 ue ue 1" if bits.ue() == 3 else "ue ue 1")  # separate planes, bit depths, bypass
            if bits.u(1):  # seq_scaling_matrix_present_flag: rare, not read (no encoder at hand writes it)
                return False
        bits.skip("ue")  # log2_max_frame_num_minus4
        poc_type = bits.ue()
        if poc_type == 0:
            bits.skip("ue")
        elif poc_type == 1:
            bits.skip("1 se se")
            bits.skip("se " * bits.ue())
        bits.skip("ue 1 ue ue")  # max_num_ref_frames, gaps, width, height
        if not bits.u(1):  # frame_mbs_only_flag: fields may be coded
            return False
        bits.skip("1")  # direct_8x8_inference_flag
        bits.when("ue ue ue ue")  # frame_cropping_flag
        return bool(bits.u(1)) and _vui_restricts(bits)
    except EOFError:
        return False


def _vui_restricts(bits: _Bits) -> bool:
    if bits.u(1) and bits.u(8) == 255:  # aspect_ratio_info_present_flag, aspect_ratio_idc: extended SAR
        bits.skip("32")
    bits.when("1")  # overscan_info_present_flag
    if bits.when("4"):  # video_signal_type_present_flag
        bits.when("24")  # colour_description_present_flag
    bits.when("ue ue")  # chroma_loc_info_present_flag
    bits.when("65")  # timing_info_present_flag
    hrd = False
    for _ in range(2):  # NAL, then VCL HRD parameters
        if bits.u(1):
            hrd = True
            bits.skip("8" + " ue ue 1" * (bits.ue() + 1) + " 20")  # scales, each CPB, four lengths
    bits.skip("1 1" if hrd else "1")  # low_delay_hrd_flag, pic_struct_present_flag
    return bool(bits.u(1))  # bitstream_restriction_flag
