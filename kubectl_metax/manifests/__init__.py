"""Multi-document YAML streams as Helm renders them, edited without re-dumping.

``stream`` splits a stream into documents on its own ``---``/``...`` lines
and joins them back; ``events`` reads one document with libyaml's event
parser (validity, shape, scalar positions); ``editing`` splices new scalar
text into the original text. Nothing here knows about images, Helm hooks or
HTTP: ``kubectl_metax.postrender`` builds on it.
"""
