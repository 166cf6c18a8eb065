"""The clearinghouse connection: adapters (folder/SFTP drop, payer simulator) and acknowledgement ingestion."""
