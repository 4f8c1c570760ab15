;; hostile: misbehaviour on demand, for the host's sandbox tests. execute reads the input's first
;; byte as a selector (a msgpack positive fixint):
;;   0 -> answers msgpack nil (0xc0)
;;   1 -> unreachable (trap)
;;   2 -> i32.store at address 0xfffffff0 (out-of-bounds trap)
;;   3 -> i32.div_s by zero (trap)
;;   4 -> unbounded recursion (call stack exhausted)
;;   5 -> an infinite loop (stopped only by fuel / wall time)
;;   6 -> memory.grow by 1 page in a loop until it answers -1, then unreachable
;;   7 -> answers the error bit with the message "refused by hostile"
;;   8 -> a finite loop of 50,000,000 iterations, then answers nil (for fuel / time tests)
;; An empty input or any other first byte answers the error bit with
;; "hostile: expected a selector 0..8".
(module
  (memory (export "memory") 1)
  (data (i32.const 16) "\c0")
  (data (i32.const 32) "refused by hostile")                ;; 18 bytes
  (data (i32.const 64) "hostile: expected a selector 0..8") ;; 33 bytes
  (global $sink (mut i32) (i32.const 0))
  (func $pack (param $p i32) (param $n i32) (result i64)
    (i64.or (i64.shl (i64.extend_i32_u (local.get $p)) (i64.const 32))
            (i64.extend_i32_u (local.get $n))))
  (func (export "alloc") (param $n i32) (result i32)
    (local $need i32)
    (local.set $need (i32.shr_u (i32.add (local.get $n) (i32.const 66559)) (i32.const 16)))
    (if (i32.gt_u (local.get $need) (memory.size))
      (then (drop (memory.grow (i32.sub (local.get $need) (memory.size))))))
    (i32.const 1024))
  ;; Calls itself forever (not a tail call: it adds to its own result).
  (func $recurse (param $depth i32) (result i32)
    (i32.add (call $recurse (i32.add (local.get $depth) (i32.const 1))) (i32.const 1)))
  (func (export "execute") (param $p i32) (param $n i32) (result i64)
    (local $sel i32)
    (local $i i32)
    (if (i32.eqz (local.get $n))
      (then (return (call $pack (i32.const 64) (i32.const 0x80000021)))))
    (local.set $sel (i32.load8_u (local.get $p)))
    (block $bad
      (block $s8 (block $s7 (block $s6 (block $s5 (block $s4
      (block $s3 (block $s2 (block $s1 (block $s0
        (br_table $s0 $s1 $s2 $s3 $s4 $s5 $s6 $s7 $s8 $bad (local.get $sel)))
        ;; 0: nil
        (return (call $pack (i32.const 16) (i32.const 1))))
        ;; 1: unreachable
        (unreachable))
        ;; 2: out-of-bounds store
        (i32.store (i32.const 0xfffffff0) (local.get $sel))
        (unreachable))
        ;; 3: division by zero (the divisor is $sel - 3, computed at run time)
        (global.set $sink (i32.div_s (i32.const 1) (i32.sub (local.get $sel) (i32.const 3))))
        (unreachable))
        ;; 4: unbounded recursion
        (global.set $sink (call $recurse (i32.const 0)))
        (unreachable))
        ;; 5: infinite loop
        (loop $forever
          (global.set $sink (i32.add (global.get $sink) (i32.const 1)))
          (br $forever))
        (unreachable))
        ;; 6: grow the memory until it fails, then trap
        (loop $grow
          (br_if $grow (i32.ne (memory.grow (i32.const 1)) (i32.const -1))))
        (unreachable))
        ;; 7: an error as a value
        (return (call $pack (i32.const 32) (i32.const 0x80000012))))
      ;; 8: a long finite loop, then nil
      (local.set $i (i32.const 50000000))
      (loop $count
        (global.set $sink (i32.add (global.get $sink) (local.get $i)))
        (local.set $i (i32.sub (local.get $i) (i32.const 1)))
        (br_if $count (local.get $i)))
      (return (call $pack (i32.const 16) (i32.const 1))))
    ;; any other selector
    (call $pack (i32.const 64) (i32.const 0x80000021))))
