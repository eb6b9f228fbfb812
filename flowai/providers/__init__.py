"""Provider clients (one protocol family per module, each serving its task types' interfaces in
``base.py``) and the router that routes node calls. Their persistent state goes through the
``store.ProviderStore`` protocol: nothing here imports ``storage`` or ``flowai.media``."""
