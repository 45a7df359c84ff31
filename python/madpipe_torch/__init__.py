"""madpipe_torch: the PyTorch worker behind madpipe's built-in hf-* stage kinds.

madpipe (Swift) validates a stage's params, reads the dataset, writes one request JSON and runs
`python -m madpipe_torch REQUEST.json`; the worker loads the model (a local directory, a
madpipe native checkpoint, or a hub id at a pinned commit), checks the tokenizer and the
interpreter's packages before any model weights are read, does the work and writes the stage's
files. A bad input is reported as `error.json` ({"field", "message"}) next to the request and
exit status 2, so madpipe can name the stage and the field.
"""

#: Packages whose versions must equal the pins in requirements.txt (the pins are part of every
#: hf-* stage's cache key through the worker's source digest).
PINNED = ("torch", "transformers", "peft", "safetensors")
