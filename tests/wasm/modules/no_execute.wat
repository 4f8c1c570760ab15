;; no_execute: exports memory and alloc but no execute: the host must refuse it at load.
(module
  (memory (export "memory") 1)
  (func (export "alloc") (param $n i32) (result i32) (i32.const 1024)))
