;; start_loop: a valid ABI, but its start function (run at instantiation) loops forever: the host
;; must stop it (fuel / wall time) and refuse the module. execute would answer nil (0xc0).
(module
  (memory (export "memory") 1)
  (data (i32.const 16) "\c0")
  (global $sink (mut i32) (i32.const 0))
  (func $forever
    (loop $l
      (global.set $sink (i32.add (global.get $sink) (i32.const 1)))
      (br $l)))
  (start $forever)
  (func (export "alloc") (param $n i32) (result i32) (i32.const 1024))
  (func (export "execute") (param $p i32) (param $n i32) (result i64)
    (i64.const 0x0000001000000001)))
