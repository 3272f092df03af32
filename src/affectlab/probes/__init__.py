"""Family B probes: capture every layer's pooled activations in one forward pass, train a linear probe
per layer with controls, and predict sentiment from the best layer or an ensemble of layers."""
