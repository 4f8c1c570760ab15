;; tools_without_call_tool: a valid ABI and valid metadata JSON listing one tool ("noop"), but no
;; call_tool export: the host must refuse it. execute answers nil (0xc0).
(module
  (memory (export "memory") 1)
  (data (i32.const 16) "\c0")
  (data (i32.const 64)
    "{\"name\":\"tools_without_call_tool\",\"version\":\"1.0.0\","
    "\"description\":\"Lists a tool but exports no call_tool\",\"type\":\"tool\","
    "\"capabilities\":[],\"tools\":[{\"name\":\"noop\",\"description\":\"Does nothing\","
    "\"parameters\":{\"type\":\"object\",\"properties\":{}}}]}")
  (func (export "alloc") (param $n i32) (result i32) (i32.const 1024))
  (func (export "metadata") (result i64)
    (i64.or (i64.shl (i64.const 64) (i64.const 32)) (i64.const 240)))
  (func (export "execute") (param $p i32) (param $n i32) (result i64)
    (i64.const 0x0000001000000001)))
