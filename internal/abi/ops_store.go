package abi

import "github.com/gstauth/gstauth/core"

// The shared session store: the names of a session's record, and the file
// store's lease and compare-and-set (core/store.go; Redis runs the same
// rules in store/redis/*.lua).
func init() {
	register(
		jsonOp("store_keys", "The names of a session's record in every store: its id, its Redis keys (one hash tag), its file name.", func(in *storeKeysIn) (*core.StoreKeys, error) {
			k, err := core.StoreKeysOf(in.Provider, in.Account)
			if err != nil {
				return nil, err
			}
			return &k, nil
		}),
		jsonOp("store_lease", "File store: take, extend or release a session's refresh lease in its record (under the host's file lock).", func(in *storeLeaseIn) (*storeLeaseOut, error) {
			granted, err := core.LeaseRecord(&in.Record, in.Action, in.Holder, in.TTLMs, in.NowMs)
			if err != nil {
				return nil, err
			}
			return &storeLeaseOut{Record: in.Record, Granted: granted}, nil
		}),
		jsonOp("store_write", "File store: write a sealed session into its record if the record is still at the version the writer read.", func(in *storeWriteIn) (*storeWriteOut, error) {
			v, ok, err := core.WriteRecord(&in.Record, in.ExpectedVersion, in.Sealed)
			if err != nil {
				return nil, err
			}
			return &storeWriteOut{Record: in.Record, Written: ok, Version: v}, nil
		}),
	)
}

type storeKeysIn struct {
	Provider core.Provider `json:"provider"`
	Account  string        `json:"account" limit:"small"`
}

type storeLeaseIn struct {
	Record core.StoreRecord `json:"record" doc:"the record as read from the file ({} before the first write)"`
	Action core.LeaseAction `json:"action"`
	Holder string           `json:"holder" limit:"128" doc:"a name unique to the process"`
	TTLMs  int64            `json:"ttl_ms,omitempty" min:"0" doc:"the lease's time to live (take, extend): 1 s to 10 min"`
	nowParam
}

type storeLeaseOut struct {
	Record  core.StoreRecord `json:"record" doc:"the record to write back (unchanged when not granted)"`
	Granted bool             `json:"granted"`
}

type storeWriteIn struct {
	Record          core.StoreRecord `json:"record"`
	ExpectedVersion int64            `json:"expected_version" min:"0" doc:"the version the writer read"`
	Sealed          string           `json:"sealed" limit:"text"`
}

type storeWriteOut struct {
	Record  core.StoreRecord `json:"record" doc:"the record to write back (unchanged when not written)"`
	Written bool             `json:"written"`
	Version int64            `json:"version" doc:"the record's version after the call"`
}
