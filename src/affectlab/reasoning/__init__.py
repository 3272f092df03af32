"""Family D: an emotion reasoning model. Clean GoEmotions (`clean`), chain-of-thought targets (`cot`,
`teacher`), LoRA training with family C's loop (`train`), evaluation against baselines (`evaluate`), and
use from the command line or over HTTP (`inference`, `service`, `python -m affectlab.reasoning`)."""
