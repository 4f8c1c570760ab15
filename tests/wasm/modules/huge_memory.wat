;; huge_memory: a valid ABI module whose memory starts at 65536 pages (4 GiB), over any sane
;; memory limit: the host must refuse it at load (limit_exceeded). execute answers nil (0xc0).
(module
  (memory (export "memory") 65536)
  (data (i32.const 16) "\c0")
  (func (export "alloc") (param $n i32) (result i32) (i32.const 1024))
  (func (export "execute") (param $p i32) (param $n i32) (result i64)
    (i64.const 0x0000001000000001)))
