"""Generate PyTorch reference fixtures for the recur C++ tests.

Writes one ``.safetensors`` file per case into ``tests/reference/fixtures/``:

    <cell>_l<layers>_<uni|bi>_i<I>_h<H>.safetensors   full-length sequences
    <cell>_packed_bi.safetensors                        variable lengths [6, 3, 1]

where <cell> is one of rnn_tanh, rnn_relu, lstm, gru.

Each case builds a torch.nn.RNN / LSTM / GRU (batch_first=False) with default
float32 initialisation under a fixed per-case seed, draws float32 inputs, then
runs forward and backward in float64 so that the references are exact for the
float32-representable weights and inputs.  Every tensor is stored as F32.

Tensors in each file:

    <param name>          every module.state_dict() entry under its PyTorch
                          name and shape (weight_ih_l0, bias_hh_l1_reverse, ...)
    input                 (T, B, I)
    h0, c0                (L*D, B, H)        c0 for LSTM only
    output                (T, B, D*H)        zero at padded positions
    h_n, c_n              (L*D, B, H)        c_n for LSTM only
    dout, dh_n, dc_n      upstream gradients, same shapes as output/h_n/c_n;
                          dout is zero at padded positions
    grad_input, grad_h0, grad_c0
    grad.<param name>     gradient of every parameter

The gradients are those of

    loss = (output * dout).sum() + (h_n * dh_n).sum() [+ (c_n * dc_n).sum()]

For packed cases the sequence goes through
pack_padded_sequence(x, lengths, enforce_sorted=False) and
pad_packed_sequence(..., total_length=T); h_n/c_n hold each sequence's state at
its own last step, in the original batch order.

__metadata__ (all values are strings): cell, input_size, hidden_size,
num_layers, bidirectional ("0"/"1"), steps, batch, lengths ("" or e.g.
"6,3,1"), generator, torch.

File layout (safetensors): u64 little-endian header length N, N bytes of JSON
header padded with spaces so that 8 + N is a multiple of 8, then the raw
little-endian row-major data of all tensors back to back, sorted by name.

Rerun from the project root (needs Debian's python3-torch and numpy; the C++
tests themselves do not need Python):

    /usr/bin/python3 tests/reference/make_fixtures.py

The output is deterministic: rerunning produces byte-identical files.
"""

import json
import struct
import zlib
from pathlib import Path

import numpy as np
import torch
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

FIXTURE_DIR = Path(__file__).resolve().parent / "fixtures"
GENERATOR = "tests/reference/make_fixtures.py"

MODULES = {
    "rnn_tanh": lambda **kw: torch.nn.RNN(nonlinearity="tanh", **kw),
    "rnn_relu": lambda **kw: torch.nn.RNN(nonlinearity="relu", **kw),
    "lstm": lambda **kw: torch.nn.LSTM(**kw),
    "gru": lambda **kw: torch.nn.GRU(**kw),
}

# (num_layers, bidirectional, input_size, hidden_size, steps, batch)
FULL_SHAPES = [
    (1, False, 3, 4, 5, 2),
    (2, False, 3, 4, 5, 2),
    (1, True, 3, 4, 5, 2),
    (2, True, 5, 3, 4, 3),
]
PACKED_CELLS = ["lstm", "gru", "rnn_tanh"]
PACKED_LENGTHS = [6, 3, 1]


def build_cases():
    cases = []
    for cell in MODULES:
        for layers, bi, i, h, t, b in FULL_SHAPES:
            name = f"{cell}_l{layers}_{'bi' if bi else 'uni'}_i{i}_h{h}"
            cases.append(dict(name=name, cell=cell, num_layers=layers,
                              bidirectional=bi, input_size=i, hidden_size=h,
                              steps=t, batch=b, lengths=None))
    for cell in PACKED_CELLS:
        cases.append(dict(name=f"{cell}_packed_bi", cell=cell, num_layers=1,
                          bidirectional=True, input_size=3, hidden_size=4,
                          steps=max(PACKED_LENGTHS),
                          batch=len(PACKED_LENGTHS), lengths=PACKED_LENGTHS))
    return cases


def case_seed(name):
    """Fixed seed per case, independent of the order of the case list."""
    return zlib.crc32(name.encode("utf-8"))


def run_case(case):
    """Return an ordered dict name -> float64 tensor for one case."""
    is_lstm = case["cell"] == "lstm"
    layers, bi = case["num_layers"], case["bidirectional"]
    n_dir = 2 if bi else 1
    t, b = case["steps"], case["batch"]
    i, h = case["input_size"], case["hidden_size"]
    lengths = case["lengths"]

    torch.manual_seed(case_seed(case["name"]))
    module = MODULES[case["cell"]](input_size=i, hidden_size=h,
                                   num_layers=layers, bidirectional=bi,
                                   batch_first=False)
    # Everything is drawn in float32 so it is exactly representable in F32.
    x = torch.randn(t, b, i)
    h0 = torch.randn(layers * n_dir, b, h)
    c0 = torch.randn(layers * n_dir, b, h) if is_lstm else None
    dout = torch.randn(t, b, n_dir * h)
    dh_n = torch.randn(layers * n_dir, b, h)
    dc_n = torch.randn(layers * n_dir, b, h) if is_lstm else None
    if lengths is not None:
        for k, n in enumerate(lengths):
            dout[n:, k, :] = 0.0

    module = module.double()
    x = x.double().requires_grad_()
    h0 = h0.double().requires_grad_()
    if is_lstm:
        c0 = c0.double().requires_grad_()
    dout, dh_n = dout.double(), dh_n.double()
    if is_lstm:
        dc_n = dc_n.double()

    state = (h0, c0) if is_lstm else h0
    if lengths is None:
        output, final = module(x, state)
    else:
        packed = pack_padded_sequence(x, torch.tensor(lengths),
                                      enforce_sorted=False)
        packed_out, final = module(packed, state)
        output, _ = pad_packed_sequence(packed_out, total_length=t)
    h_n, c_n = final if is_lstm else (final, None)

    loss = (output * dout).sum() + (h_n * dh_n).sum()
    if is_lstm:
        loss = loss + (c_n * dc_n).sum()
    loss.backward()

    tensors = {}
    for pname, value in module.state_dict().items():
        tensors[pname] = value
    tensors["input"] = x
    tensors["h0"] = h0
    tensors["output"] = output
    tensors["h_n"] = h_n
    tensors["dout"] = dout
    tensors["dh_n"] = dh_n
    tensors["grad_input"] = x.grad
    tensors["grad_h0"] = h0.grad
    if is_lstm:
        tensors["c0"] = c0
        tensors["c_n"] = c_n
        tensors["dc_n"] = dc_n
        tensors["grad_c0"] = c0.grad
    for pname, param in module.named_parameters():
        tensors[f"grad.{pname}"] = param.grad
    return {k: v.detach().to(torch.float32).numpy() for k, v in tensors.items()}


def metadata(case):
    lengths = case["lengths"]
    return {
        "cell": case["cell"],
        "input_size": str(case["input_size"]),
        "hidden_size": str(case["hidden_size"]),
        "num_layers": str(case["num_layers"]),
        "bidirectional": "1" if case["bidirectional"] else "0",
        "steps": str(case["steps"]),
        "batch": str(case["batch"]),
        "lengths": "" if lengths is None else ",".join(map(str, lengths)),
        "generator": GENERATOR,
        "torch": torch.__version__,
    }


def encode_safetensors(tensors, meta):
    """Serialise name -> float32 ndarray (plus string metadata) to bytes."""
    header = {"__metadata__": meta}
    chunks = []
    offset = 0
    for name in sorted(tensors):
        data = np.ascontiguousarray(tensors[name], dtype="<f4").tobytes()
        header[name] = {"dtype": "F32",
                        "shape": list(tensors[name].shape),
                        "data_offsets": [offset, offset + len(data)]}
        chunks.append(data)
        offset += len(data)
    text = json.dumps(header, separators=(",", ":")).encode("utf-8")
    text += b" " * (-(8 + len(text)) % 8)
    return struct.pack("<Q", len(text)) + text + b"".join(chunks)


def read_safetensors(path):
    """Minimal independent reader; checks the layout while parsing."""
    raw = path.read_bytes()
    (n,) = struct.unpack_from("<Q", raw, 0)
    assert (8 + n) % 8 == 0, "header not padded to a multiple of 8"
    header = json.loads(raw[8:8 + n].decode("utf-8"))
    buffer = raw[8 + n:]
    meta = header.pop("__metadata__")
    assert all(isinstance(v, str) for v in meta.values())
    spans = sorted((info["data_offsets"], name) for name, info in header.items())
    expected_begin = 0
    tensors = {}
    for (begin, end), name in spans:
        info = header[name]
        assert begin == expected_begin, f"{name}: hole or overlap at {begin}"
        assert info["dtype"] == "F32"
        count = int(np.prod(info["shape"], dtype=np.int64))
        assert end - begin == 4 * count, f"{name}: size mismatch"
        tensors[name] = np.frombuffer(buffer[begin:end], dtype="<f4") \
            .reshape(info["shape"])
        expected_begin = end
    assert expected_begin == len(buffer), "offsets do not cover the buffer"
    return meta, tensors


def main():
    FIXTURE_DIR.mkdir(parents=True, exist_ok=True)
    torch.set_num_threads(1)  # keep float64 reductions bit-reproducible
    written = {}
    for case in build_cases():
        tensors = run_case(case)
        blob = encode_safetensors(tensors, metadata(case))
        path = FIXTURE_DIR / f"{case['name']}.safetensors"
        path.write_bytes(blob)
        written[path] = (case, tensors)
        print(f"wrote {path.relative_to(FIXTURE_DIR.parent.parent.parent)} "
              f"({len(blob)} bytes, {len(tensors)} tensors)")

    # Self-check: re-read one file with the hand-written reader.
    path = FIXTURE_DIR / "lstm_packed_bi.safetensors"
    case, expected = written[path]
    meta, loaded = read_safetensors(path)
    assert meta == metadata(case)
    assert sorted(loaded) == sorted(expected)
    for name in ("output", "grad.weight_hh_l0_reverse"):
        assert np.array_equal(loaded[name], expected[name]), name
    print(f"self-check ok: {path.name}")


if __name__ == "__main__":
    main()
