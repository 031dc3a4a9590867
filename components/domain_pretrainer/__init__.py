"""DomainPretrainer component: continued masked-LM pre-training of a BERT backbone on item texts.

`pretrainer.pretrain` is plain keras-hub code usable without TFX; `component.DomainPretrainer`
wraps it as a TFX component whose `BertPreset` output the text embedder consumes.
"""
