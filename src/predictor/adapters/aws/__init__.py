"""AWS adapters (the only boto3 and botocore imports), one module per service.

Clients come from boto3's default credential chain (an IAM role in AWS; the environment or
~/.aws elsewhere) and honour ``AWS_ENDPOINT_URL``; no credential is in code or settings.
"""
