;; bad_metadata: a valid ABI, but metadata answers bytes that are not JSON
;; ("{name: bad_metadata, this is not JSON"). execute answers nil (0xc0).
(module
  (memory (export "memory") 1)
  (data (i32.const 16) "\c0")
  (data (i32.const 32) "{name: bad_metadata, this is not JSON") ;; 37 bytes
  (func (export "alloc") (param $n i32) (result i32) (i32.const 1024))
  (func (export "metadata") (result i64) (i64.const 0x0000002000000025))
  (func (export "execute") (param $p i32) (param $n i32) (result i64)
    (i64.const 0x0000001000000001)))
