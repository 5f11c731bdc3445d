"""Data-parallel scaling probes: each framework's own distributed engine at 1 and N workers.

launch.py       the parent side: start a process group, watch it, always kill and reap it
scaling.py      the plan: 1 and N workers per framework, rows, efficiency, merging nodes
rank.py         what every worker shares (data, timing, reporting); no framework import
torch_ddp.py    a PyTorch rank under torchrun (DistributedDataParallel)
tf_mwms.py      a TensorFlow worker (MultiWorkerMirroredStrategy, TF_CONFIG)
"""
