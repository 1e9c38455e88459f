"""int8 inference (Recognizer(bundle, quantize=True)): streamed == whole, close to float."""
import random

import pytest
import torch

from subtitler.config import ModelConfig
from subtitler.model import AcousticModel, quantize_int8
from subtitler.results import Final
from subtitler.stream import Recognizer

from conftest import speechlike


def chunked(model, feats, rng):
    state, parts, i = model.initial_state(), [], 0
    while i < feats.shape[1]:
        n = rng.choice([0, 1, 2, 3, 5, 17])
        out, state = model(feats[:, i:i + n], state, final=False)
        parts.append(out)
        i += n
    out, _ = model(feats[:, :0], state, final=True)
    return torch.cat(parts + [out], dim=1)


@pytest.mark.parametrize("seed", range(3))
def test_quantized_model_chunked_equals_whole(seed):
    torch.manual_seed(seed)
    model = quantize_int8(AcousticModel(ModelConfig(conv_channels=32, hidden=40, layers=2)).eval())
    feats = torch.randn(1, 203, 80)
    with torch.no_grad():
        whole, _ = model(feats)
        streamed = chunked(model, feats, random.Random(seed))
    torch.testing.assert_close(streamed, whole, atol=1e-5, rtol=1e-5)


def test_quantized_model_is_close_to_float_and_leaves_it_alone():
    torch.manual_seed(0)
    model = AcousticModel(ModelConfig(conv_channels=32, hidden=40, layers=2)).eval()
    quantized = quantize_int8(model)
    feats = torch.randn(1, 120, 80)
    with torch.no_grad():
        diff = (quantized(feats)[0].exp() - model(feats)[0].exp()).abs().max().item()
    assert diff < 0.05, diff
    assert isinstance(model.gru, torch.nn.GRU)


def finals(recognizer, samples, rng=None):
    stream, events, i = recognizer.new_stream(), [], 0
    while rng is not None and i < samples.size:
        n = rng.choice([0, 1, 7, 640, rng.randint(1, 8000)])
        events += recognizer.accept(stream, samples[i:i + n])
        i += n
    if rng is None:
        events += recognizer.accept(stream, samples)
    return [e.segment.words for e in events + recognizer.finish(stream) if isinstance(e, Final)]


@pytest.mark.parametrize("seed", range(3))
def test_quantized_streaming_equals_quantized_whole(bundle, seed):
    recognizer = Recognizer(bundle, quantize=True)
    samples = speechlike(8.0, seed)
    whole = finals(recognizer, samples)
    assert whole, "the test model should produce some words"
    assert finals(recognizer, samples, random.Random(seed)) == whole


@pytest.mark.parametrize("command,default_int8", [("transcribe", False), ("bench", True)])  # bench: as live captions
def test_int8_flag_reaches_the_recognizer(model_file, speech_wav, command, default_int8):
    from subtitler.cli import _recognizer, build_parser
    from subtitler.model import FramewiseGRU

    def gru(*flags):
        args = [command, *flags, "--threads", "1", "--model", str(model_file), str(speech_wav)]
        return _recognizer(build_parser().parse_args(args)).model.gru

    assert isinstance(gru("--int8"), FramewiseGRU)
    assert isinstance(gru(), FramewiseGRU if default_int8 else torch.nn.GRU)
    if default_int8:
        assert isinstance(gru("--no-int8"), torch.nn.GRU)
