"""Venues behind one interface (`base.Broker`): paper, ibkr, ccxt:<exchange>."""
