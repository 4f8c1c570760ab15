;; bad_error: execute answers an error (bit 31 of the length set) whose 5000 bytes start with
;; 0xff 0xfe: not UTF-8, and longer than the host keeps.
(module
  (memory (export "memory") 1)
  (data (i32.const 0) "\ff\fe")
  (func (export "alloc") (param i32) (result i32) (i32.const 8192))
  (func (export "execute") (param i32 i32) (result i64)
    (i64.const 0x80001388)))
