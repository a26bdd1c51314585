/*
 * Optimiser Lab's browser twin of the 2-D engine.
 *
 * What it is: a JavaScript implementation of `engine.simulate` (engine/ in this repository) for
 * 2-D objectives, so that the dashboard can recompute a run in the browser (a dragged start
 * point, a slid learning rate) with no server round trip. It computes the same numbers as the
 * numpy engine: the same IEEE-754 operations in the same order, step by step. It is the twin of
 * engine/optimizers.py, engine/objectives.py and engine/simulate.py, held equal to them by
 * tests/engine/test_twin.py, which runs both over the optimiser registry x every 2-D objective x
 * variants: bit for bit where an objective uses + - * / sqrt, powers, exp and log (see below),
 * within a stated tolerance where it uses sin, cos, tan, tanh, sinh, cosh or atan (V8's Math
 * functions, which differ from glibc's in the last bit for a few percent of arguments).
 * Change one side and the tests say where the other must follow.
 *
 * The server describes a run with engine/twin.py `twin_spec(run)`, a JSON-ready object (format
 * "optlab-twin/1"): the objective (a built-in's name and constants, or a typed function as the
 * compiled program engine/expr.py evaluates: no user text is ever evaluated as JavaScript), the
 * optimiser and its hyperparameters, the per-step learning-rate factors of the schedule,
 * clipping, and for each run its start, its gradient noise (the engine's own draws, not drawn
 * again) and, for the sampled objective sparse2d, the rows it samples at each step.
 *
 * API (a classic <script> defines globalThis.OptLabTwin; under Node, require() returns it):
 *
 *   const twin = OptLabTwin.prepare(spec);    // decode once: buffers, noise, program, tables
 *   const out = twin.run(0, {start: [x, y], hyper: {lr: 0.01, beta1: 0.95}});  // run 0, changed
 *   out.params    Float64Array 2*(steps+1): x0, y0, x1, y1, ... (the start, then each step)
 *   out.loss      Float64Array steps+1: f at each recorded point
 *   out.grads     Float64Array 2*steps: the gradient each update saw (noise added, clipped)
 *   out.eff_lr    Float64Array 2*steps: the effective learning rate per coordinate
 *   out.delta     Float64Array 2*steps: the step taken, theta_t - theta_(t-1)
 *   out.state     {name: Float64Array 2*steps}: the optimiser's state after each update (m, v, ...)
 *   out.stopped_at  the step at which the run diverged and was stopped, or -1
 *
 * The names and the meaning are `engine.Trace`'s (recorded in full, every step): row i of the
 * per-update arrays is the update that made params row i+1; after a stop, params and loss hold
 * their last good values and the per-update rows are 0. `twin.run` reuses its arrays: the next
 * call for the same run overwrites them (copy what you keep). `OptLabTwin.simulate(spec)` is
 * prepare + run of every run, for one-off use. A start where the objective is not finite throws
 * an Error, as the engine raises ValueError.
 *
 * pow, exp, log: numpy's `**`, np.exp and np.log call glibc's, which V8's Math.pow differs from in
 * the last bit for about 6% of Adam's bias corrections beta^t (Math.exp: 8% of arguments). `pow`,
 * `exp` and `log` below are glibc 2.36's x86-64 ones (their FMA variants, which numpy calls on a
 * machine with FMA), written out from the compiled instructions with an exact emulation of the
 * fused multiply-add: the same bits on the millions of inputs tested. Their algorithms and tables
 * are ARM's optimized-routines (MIT licence; in glibc since 2.28).
 *
 * No dependencies, no DOM. Node: `node --check static/optlab/twin.js`.
 */
(function (root, factory) {
  "use strict";
  const api = factory();
  if (typeof module === "object" && module.exports) module.exports = api;
  else root.OptLabTwin = api;
})(typeof globalThis !== "undefined" ? globalThis : this, function () {
  "use strict";

  const FORMAT = "optlab-twin/1";
  const DIVERGENCE_BOUND = 1e6;  // engine/simulate.py: |theta| beyond this stops a run
  const LOSS_BOUND = 1e100;      // and so does a loss beyond this

  // -------------------------------------------------------------------------------------------
  // Bits of a double, and an exact fused multiply-add
  // -------------------------------------------------------------------------------------------

  const BITS = new ArrayBuffer(8);
  const F64 = new Float64Array(BITS);
  const U32 = new Uint32Array(BITS);
  const LO = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1 ? 0 : 1;  // word order
  const HI = 1 - LO;

  function fromWords(hi, lo) {
    U32[HI] = hi;
    U32[LO] = lo;
    return F64[0];
  }

  const SPLITTER = 134217729;  // 2^27 + 1 (Veltkamp's split of a double into two halves)

  /** The error of a product: a*b - p exactly, for p = a*b rounded (Dekker). */
  function productError(a, b, p) {
    let t = SPLITTER * a;
    const ah = t - (t - a), al = a - ah;
    t = SPLITTER * b;
    const bh = t - (t - b), bl = b - bh;
    return ((ah * bh - p) + ah * bl + al * bh) + al * bl;
  }

  /**
   * a*b + c rounded once, as the FMA instruction computes it: the exact product as p + e, the
   * exact sum p + c as s + tl, then s + (tl + e) with the inner sum rounded to odd (Boldo and
   * Melquiond, "Emulation of FMA and correctly rounded sums", IEEE TC 2008). Exact for the
   * operands pow meets (no overflow, no underflow of the partial products).
   */
  function fma(a, b, c) {
    const p = a * b;
    const e = productError(a, b, p);
    const s = p + c;
    const z = s - p;
    const tl = (p - (s - z)) + (c - z);
    const u = tl + e;
    const z2 = u - tl;
    const w = (tl - (u - z2)) + (e - z2);
    if (w === 0) return s + u;
    F64[0] = u;  // u rounded to odd: if its last bit is even, step one ulp towards the rest w
    if ((U32[LO] & 1) === 0) {
      if ((w > 0) === (u > 0)) {
        U32[LO] = U32[LO] + 1;
        if (U32[LO] === 0) U32[HI] = U32[HI] + 1;
      } else {
        if (U32[LO] === 0) U32[HI] = U32[HI] - 1;
        U32[LO] = U32[LO] - 1;
      }
    }
    return s + F64[0];
  }

  // -------------------------------------------------------------------------------------------
  // pow, exp and log: glibc 2.36's __pow_fma, __exp_fma and __log_fma, operation by operation
  // -------------------------------------------------------------------------------------------

  // The tables, as the 64-bit patterns libm holds (__pow_log_data, __exp_data).
  const POW_LOG_CONSTANTS =  // ln2hi, ln2lo, A[0..6]
    "3fe62e42fefa3800 3d2ef35793c76730 bfe0000000000000 bfe5555555555560 3fe0000000000006 " +
    "3fe999999959554e bfe555555529a47a bff2495b9b4845e9 3ff0002b8b263fc3 ";
  const POW_LOG_TABLE =  // 128 x (invc, logc, logctail)
    "3ff6a00000000000 bfd62c82f2b9c800 3cfab42428375680 3ff6800000000000 bfd5d1bdbf580800 bd1ca508d8e0f720 " +
    "3ff6600000000000 bfd5767717455800 bd2362a4d5b6506d 3ff6400000000000 bfd51aad872df800 bce684e49eb067d5 " +
    "3ff6200000000000 bfd4be5f95777800 bd041b6993293ee0 3ff6000000000000 bfd4618bc21c6000 3d13d82f484c84cc " +
    "3ff5e00000000000 bfd404308686a800 3cdc42f3ed820b3a 3ff5c00000000000 bfd3a64c55694800 3d20b1c686519460 " +
    "3ff5a00000000000 bfd347dd9a988000 3d25594dd4c58092 3ff5800000000000 bfd2e8e2bae12000 3d267b1e99b72bd8 " +
    "3ff5600000000000 bfd2895a13de8800 3d15ca14b6cfb03f 3ff5600000000000 bfd2895a13de8800 3d15ca14b6cfb03f " +
    "3ff5400000000000 bfd22941fbcf7800 bd165a242853da76 3ff5200000000000 bfd1c898c1699800 bd1fafbc68e75404 " +
    "3ff5000000000000 bfd1675cababa800 3d1f1fc63382a8f0 3ff4e00000000000 bfd1058bf9ae4800 bd26a8c4fd055a66 " +
    "3ff4c00000000000 bfd0a324e2739000 bd0c6bee7ef4030e 3ff4a00000000000 bfd0402594b4d000 bcf036b89ef42d7f " +
    "3ff4a00000000000 bfd0402594b4d000 bcf036b89ef42d7f 3ff4800000000000 bfcfb9186d5e4000 3d0d572aab993c87 " +
    "3ff4600000000000 bfcef0adcbdc6000 3d2b26b79c86af24 3ff4400000000000 bfce27076e2af000 bd172f4f543fff10 " +
    "3ff4200000000000 bfcd5c216b4fc000 3d21ba91bbca681b 3ff4000000000000 bfcc8ff7c79aa000 3d27794f689f8434 " +
    "3ff4000000000000 bfcc8ff7c79aa000 3d27794f689f8434 3ff3e00000000000 bfcbc286742d9000 3d194eb0318bb78f " +
    "3ff3c00000000000 bfcaf3c94e80c000 3cba4e633fcd9066 3ff3a00000000000 bfca23bc1fe2b000 bd258c64dc46c1ea " +
    "3ff3a00000000000 bfca23bc1fe2b000 bd258c64dc46c1ea 3ff3800000000000 bfc9525a9cf45000 bd2ad1d904c1d4e3 " +
    "3ff3600000000000 bfc87fa06520d000 3d2bbdbf7fdbfa09 3ff3400000000000 bfc7ab890210e000 3d2bdb9072534a58 " +
    "3ff3400000000000 bfc7ab890210e000 3d2bdb9072534a58 3ff3200000000000 bfc6d60fe719d000 bd10e46aa3b2e266 " +
    "3ff3000000000000 bfc5ff3070a79000 bd1e9e439f105039 3ff3000000000000 bfc5ff3070a79000 bd1e9e439f105039 " +
    "3ff2e00000000000 bfc526e5e3a1b000 bd20de8b90075b8f 3ff2c00000000000 bfc44d2b6ccb8000 3d170cc16135783c " +
    "3ff2c00000000000 bfc44d2b6ccb8000 3d170cc16135783c 3ff2a00000000000 bfc371fc201e9000 3cf178864d27543a " +
    "3ff2800000000000 bfc29552f81ff000 bd248d301771c408 3ff2600000000000 bfc1b72ad52f6000 bd2e80a41811a396 " +
    "3ff2600000000000 bfc1b72ad52f6000 bd2e80a41811a396 3ff2400000000000 bfc0d77e7cd09000 3d0a699688e85bf4 " +
    "3ff2400000000000 bfc0d77e7cd09000 3d0a699688e85bf4 3ff2200000000000 bfbfec9131dbe000 bd2575545ca333f2 " +
    "3ff2000000000000 bfbe27076e2b0000 3d2a342c2af0003c 3ff2000000000000 bfbe27076e2b0000 3d2a342c2af0003c " +
    "3ff1e00000000000 bfbc5e548f5bc000 bd1d0c57585fbe06 3ff1c00000000000 bfba926d3a4ae000 3d253935e85baac8 " +
    "3ff1c00000000000 bfba926d3a4ae000 3d253935e85baac8 3ff1a00000000000 bfb8c345d631a000 3d137c294d2f5668 " +
    "3ff1a00000000000 bfb8c345d631a000 3d137c294d2f5668 3ff1800000000000 bfb6f0d28ae56000 bd269737c93373da " +
    "3ff1600000000000 bfb51b073f062000 3d1f025b61c65e57 3ff1600000000000 bfb51b073f062000 3d1f025b61c65e57 " +
    "3ff1400000000000 bfb341d7961be000 3d2c5edaccf913df 3ff1400000000000 bfb341d7961be000 3d2c5edaccf913df " +
    "3ff1200000000000 bfb16536eea38000 3d147c5e768fa309 3ff1000000000000 bfaf0a30c0118000 3d2d599e83368e91 " +
    "3ff1000000000000 bfaf0a30c0118000 3d2d599e83368e91 3ff0e00000000000 bfab42dd71198000 3d1c827ae5d6704c " +
    "3ff0e00000000000 bfab42dd71198000 3d1c827ae5d6704c 3ff0c00000000000 bfa77458f632c000 bd2cfc4634f2a1ee " +
    "3ff0c00000000000 bfa77458f632c000 bd2cfc4634f2a1ee 3ff0a00000000000 bfa39e87b9fec000 3cf502b7f526feaa " +
    "3ff0a00000000000 bfa39e87b9fec000 3cf502b7f526feaa 3ff0800000000000 bf9f829b0e780000 bd2980267c7e09e4 " +
    "3ff0800000000000 bf9f829b0e780000 bd2980267c7e09e4 3ff0600000000000 bf97b91b07d58000 bd288d5493faa639 " +
    "3ff0400000000000 bf8fc0a8b0fc0000 bcdf1e7cf6d3a69c 3ff0400000000000 bf8fc0a8b0fc0000 bcdf1e7cf6d3a69c " +
    "3ff0200000000000 bf7fe02a6b100000 bd19e23f0dda40e4 3ff0200000000000 bf7fe02a6b100000 bd19e23f0dda40e4 " +
    "3ff0000000000000 0000000000000000 0000000000000000 3ff0000000000000 0000000000000000 0000000000000000 " +
    "3fefc00000000000 3f80101575890000 bd10c76b999d2be8 3fef800000000000 3f90205658938000 bd23dc5b06e2f7d2 " +
    "3fef400000000000 3f98492528c90000 bd2aa0ba325a0c34 3fef000000000000 3fa0415d89e74000 3d0111c05cf1d753 " +
    "3feec00000000000 3fa466aed42e0000 bd2c167375bdfd28 3fee800000000000 3fa894aa149fc000 bd197995d05a267d " +
    "3fee400000000000 3faccb73cdddc000 bd1a68f247d82807 3fee200000000000 3faeea31c006c000 bd0e113e4fc93b7b " +
    "3fede00000000000 3fb1973bd1466000 bd25325d560d9e9b 3feda00000000000 3fb3bdf5a7d1e000 3d2cc85ea5db4ed7 " +
    "3fed600000000000 3fb5e95a4d97a000 bd2c69063c5d1d1e 3fed400000000000 3fb700d30aeac000 3cec1e8da99ded32 " +
    "3fed000000000000 3fb9335e5d594000 3d23115c3abd47da 3fecc00000000000 3fbb6ac88dad6000 bd1390802bf768e5 " +
    "3feca00000000000 3fbc885801bc4000 3d2646d1c65aacd3 3fec600000000000 3fbec739830a2000 bd2dc068afe645e0 " +
    "3fec400000000000 3fbfe89139dbe000 bd2534d64fa10afd 3fec000000000000 3fc1178e8227e000 3d21ef78ce2d07f2 " +
    "3febe00000000000 3fc1aa2b7e23f000 3d2ca78e44389934 3feba00000000000 3fc2d1610c868000 3d039d6ccb81b4a1 " +
    "3feb800000000000 3fc365fcb0159000 3cc62fa8234b7289 3feb400000000000 3fc4913d8333b000 3d25837954fdb678 " +
    "3feb200000000000 3fc527e5e4a1b000 3d2633e8e5697dc7 3feae00000000000 3fc6574ebe8c1000 3d19cf8b2c3c2e78 " +
    "3feac00000000000 3fc6f0128b757000 bd25118de59c21e1 3feaa00000000000 3fc7898d85445000 bd1c661070914305 " +
    "3fea600000000000 3fc8beafeb390000 bd073d54aae92cd1 3fea400000000000 3fc95a5adcf70000 3d07f22858a0ff6f " +
    "3fea000000000000 3fca93ed3c8ae000 bd28724350562169 3fe9e00000000000 3fcb31d8575bd000 bd0c358d4eace1aa " +
    "3fe9c00000000000 3fcbd087383be000 bd2d4bc4595412b6 3fe9a00000000000 3fcc6ffbc6f01000 bcf1ec72c5962bd2 " +
    "3fe9600000000000 3fcdb13db0d49000 bd2aff2af715b035 3fe9400000000000 3fce530effe71000 3cc212276041f430 " +
    "3fe9200000000000 3fcef5ade4dd0000 bcca211565bb8e11 3fe9000000000000 3fcf991c6cb3b000 3d1bcbecca0cdf30 " +
    "3fe8c00000000000 3fd07138604d5800 3cf89cdb16ed4e91 3fe8a00000000000 3fd0c42d67616000 3d27188b163ceae9 " +
    "3fe8800000000000 3fd1178e8227e800 bd2c210e63a5f01c 3fe8600000000000 3fd16b5ccbacf800 3d2b9acdf7a51681 " +
    "3fe8400000000000 3fd1bf99635a6800 3d2ca6ed5147bdb7 3fe8200000000000 3fd214456d0eb800 3d0a87deba46baea " +
    "3fe7e00000000000 3fd2bef07cdc9000 3d2a9cfa4a5004f4 3fe7c00000000000 3fd314f1e1d36000 bd28e27ad3213cb8 " +
    "3fe7a00000000000 3fd36b6776be1000 3d116ecdb0f177c8 3fe7800000000000 3fd3c25277333000 3d183b54b606bd5c " +
    "3fe7600000000000 3fd419b423d5e800 3d08e436ec90e09d 3fe7400000000000 3fd4718dc271c800 bd2f27ce0967d675 " +
    "3fe7200000000000 3fd4c9e09e173000 bd2e20891b0ad8a4 3fe7000000000000 3fd522ae0738a000 3d2ebe708164c759 " +
    "3fe6e00000000000 3fd57bf753c8d000 3d1fadedee5d40ef 3fe6c00000000000 3fd5d5bddf596000 bd0a0b2a08a465dc ";
  const EXP_CONSTANTS =  // invln2N, negln2hiN, negln2loN, C2, C3, C4, C5, shift
    "40671547652b82fe bf762e42fefa0000 bd0cf79abc9e3b3a 3fdffffffffffdbd " +
    "3fc555555555543c 3fa55555cf172b91 3f81111167a4d017 4338000000000000 ";
  const LOG_CONSTANTS =  // __log_data: ln2hi, ln2lo, A[0..4], B[0..10]
    "3fe62e42fefa3800 3d2ef35793c76730 bfe0000000000001 3fd555555551305b bfcfffffffeb4590 3fc999b324f10111 " +
    "bfc55575e506c89f bfe0000000000000 3fd5555555555577 bfcffffffffffdcb 3fc999999995dd0c bfc55555556745a7 " +
    "3fc24924a344de30 bfbfffffa4423d65 3fbc7184282ad6ca bfb999eb43b068ff 3fb78182f7afd085 bfb5521375d145cd ";
  const LOG_TABLE =  // 128 x (invc, logc)
    "3ff734f0c3e0de9f bfd7cc7f79e69000 3ff713786a2ce91f bfd76feec20d0000 3ff6f26008fab5a0 bfd713e31351e000 " +
    "3ff6d1a61f138c7d bfd6b85b38287800 3ff6b1490bc5b4d1 bfd65d5590807800 3ff69147332f0cba bfd602d076180000 " +
    "3ff6719f18224223 bfd5a8ca86909000 3ff6524f99a51ed9 bfd54f4356035000 3ff63356aa8f24c4 bfd4f637c36b4000 " +
    "3ff614b36b9ddc14 bfd49da7fda85000 3ff5f66452c65c4c bfd445923989a800 3ff5d867b5912c4f bfd3edf439b0b800 " +
    "3ff5babccb5b90de bfd396ce448f7000 3ff59d61f2d91a78 bfd3401e17bda000 3ff5805612465687 bfd2e9e2ef468000 " +
    "3ff56397cee76bd3 bfd2941b3830e000 3ff54725e2a77f93 bfd23ec58cda8800 3ff52aff42064583 bfd1e9e129279000 " +
    "3ff50f22dbb2bddf bfd1956d2b48f800 3ff4f38f4734ded7 bfd141679ab9f800 3ff4d843cfde2840 bfd0edd094ef9800 " +
    "3ff4bd3ec078a3c8 bfd09aa518db1000 3ff4a27fc3e0258a bfd047e65263b800 3ff4880524d48434 bfcfeb224586f000 " +
    "3ff46dce1b192d0b bfcf474a7517b000 3ff453d9d3391854 bfcea4443d103000 3ff43a2744b4845a bfce020d44e9b000 " +
    "3ff420b54115f8fb bfcd60a22977f000 3ff40782da3ef4b1 bfccc00104959000 3ff3ee8f5d57fe8f bfcc202956891000 " +
    "3ff3d5d9a00b4ce9 bfcb81178d811000 3ff3bd60c010c12b bfcae2c9ccd3d000 3ff3a5242b75dab8 bfca45402e129000 " +
    "3ff38d22cd9fd002 bfc9a877681df000 3ff3755bc5847a1c bfc90c6d69483000 3ff35dce49ad36e2 bfc87120a645c000 " +
    "3ff34679984dd440 bfc7d68fb4143000 3ff32f5cceffcb24 bfc73cb83c627000 3ff3187775a10d49 bfc6a39a9b376000 " +
    "3ff301c8373e3990 bfc60b3154b7a000 3ff2eb4ebb95f841 bfc5737d76243000 3ff2d50a0219a9d1 bfc4dc7b8fc23000 " +
    "3ff2bef9a8b7fd2a bfc4462c51d20000 3ff2a91c7a0c1bab bfc3b08abc830000 3ff293726014b530 bfc31b996b490000 " +
    "3ff27dfa5757a1f5 bfc2875490a44000 3ff268b39b1d3bbf bfc1f3b9f879a000 3ff2539d838ff5bd bfc160c8252ca000 " +
    "3ff23eb7aac9083b bfc0ce7f57f72000 3ff22a012ba940b6 bfc03cdc49fea000 3ff2157996cc4132 bfbf57bdbc4b8000 " +
    "3ff201201dd2fc9b bfbe370896404000 3ff1ecf4494d480b bfbd17983ef94000 3ff1d8f5528f6569 bfbbf9674ed8a000 " +
    "3ff1c52311577e7c bfbadc79202f6000 3ff1b17c74cb26e9 bfb9c0c3e7288000 3ff19e010c2c1ab6 bfb8a646b372c000 " +
    "3ff18ab07bb670bd bfb78d01b3ac0000 3ff1778a25efbcb6 bfb674f145380000 3ff1648d354c31da bfb55e0e6d878000 " +
    "3ff151b990275fdd bfb4485cdea1e000 3ff13f0ea432d24c bfb333d94d6aa000 3ff12c8b7210f9da bfb22079f8c56000 " +
    "3ff11a3028ecb531 bfb10e4698622000 3ff107fbda8434af bfaffa6c6ad20000 3ff0f5ee0f4e6bb3 bfadda8d4a774000 " +
    "3ff0e4065d2a9fce bfabbcece4850000 3ff0d244632ca521 bfa9a1894012c000 3ff0c0a77ce2981a bfa788583302c000 " +
    "3ff0af2f83c636d1 bfa5715e67d68000 3ff09ddb98a01339 bfa35c8a49658000 3ff08cabaf52e7df bfa149e364154000 " +
    "3ff07b9f2f4e28fb bf9e72c082eb8000 3ff06ab58c358f19 bf9a55f152528000 3ff059eea5ecf92c bf963d62cf818000 " +
    "3ff04949cdd12c90 bf9228fb8caa0000 3ff038c6c6f0ada9 bf8c317b20f90000 3ff02865137932a9 bf8419355daa0000 " +
    "3ff0182427ea7348 bf781203c2ec0000 3ff008040614b195 bf60040979240000 3fefe01ff726fa1a 3f6feff384900000 " +
    "3fefa11cc261ea74 3f87dc41353d0000 3fef6310b081992e 3f93cea3c4c28000 3fef25f63ceeadcd 3f9b9fc114890000 " +
    "3feee9c8039113e7 3fa1b0d8ce110000 3feeae8078cbb1ab 3fa58a5bd001c000 3fee741aa29d0c9b 3fa95c8340d88000 " +
    "3fee3a91830a99b5 3fad276aef578000 3fee01e009609a56 3fb07598e598c000 3fedca01e577bb98 3fb253f5e30d2000 " +
    "3fed92f20b7c9103 3fb42edd8b380000 3fed5cac66fb5cce 3fb606598757c000 3fed272caa5ede9d 3fb7da76356a0000 " +
    "3fecf26e3e6b2ccd 3fb9ab434e1c6000 3fecbe6da2a77902 3fbb78c7bb0d6000 3fec8b266d37086d 3fbd431332e72000 " +
    "3fec5894bd5d5804 3fbf0a3171de6000 3fec26b533bb9f8c 3fc067152b914000 3febf583eeece73f 3fc147858292b000 " +
    "3febc4fd75db96c1 3fc2266ecdca3000 3feb951e0c864a28 3fc303d7a6c55000 3feb65e2c5ef3e2c 3fc3dfc33c331000 " +
    "3feb374867c9888b 3fc4ba366b7a8000 3feb094b211d304a 3fc5933928d1f000 3feadbe885f2ef7e 3fc66acd2418f000 " +
    "3feaaf1d31603da2 3fc740f8ec669000 3fea82e63fd358a7 3fc815c0f51af000 3fea5740ef09738b 3fc8e92954f68000 " +
    "3fea2c2a90ab4b27 3fc9bb3602f84000 3fea01a01393f2d1 3fca8bed1c2c0000 3fe9d79f24db3c1b 3fcb5b515c01d000 " +
    "3fe9ae2505c7b190 3fcc2967ccbcc000 3fe9852ef297ce2f 3fccf635d5486000 3fe95cbaeea44b75 3fcdc1bd3446c000 " +
    "3fe934c69de74838 3fce8c01b8cfe000 3fe90d4f2f6752e6 3fcf5509c0179000 3fe8e6528effd79d 3fd00e6c121fb800 " +
    "3fe8bfce9fcc007c 3fd071b80e93d000 3fe899c0dabec30e 3fd0d46b9e867000 3fe87427aa2317fb 3fd13687334bd000 " +
    "3fe84f00acb39a08 3fd1980d67234800 3fe82a49e8653e55 3fd1f8ffe0cc8000 3fe8060195f40260 3fd2595fd7636800 " +
    "3fe7e22563e0a329 3fd2b9300914a800 3fe7beb377dcb5ad 3fd3187210436000 3fe79baa679725c2 3fd377266dec1800 " +
    "3fe77907f2170657 3fd3d54ffbaf3000 3fe756cadbd6130c 3fd432eee32fe000 ";
  const EXP_TABLE =  // 128 x (tail, bits of 2^(k/128) less k << 45)
    "0000000000000000 3ff0000000000000 3c9b3b4f1a88bf6e 3feff63da9fb3335 bc7160139cd8dc5d 3fefec9a3e778061 " +
    "bc905e7a108766d1 3fefe315e86e7f85 3c8cd2523567f613 3fefd9b0d3158574 bc8bce8023f98efa 3fefd06b29ddf6de " +
    "3c60f74e61e6c861 3fefc74518759bc8 3c90a3e45b33d399 3fefbe3ecac6f383 3c979aa65d837b6d 3fefb5586cf9890f " +
    "3c8eb51a92fdeffc 3fefac922b7247f7 3c3ebe3d702f9cd1 3fefa3ec32d3d1a2 bc6a033489906e0b 3fef9b66affed31b " +
    "bc9556522a2fbd0e 3fef9301d0125b51 bc5080ef8c4eea55 3fef8abdc06c31cc bc91c923b9d5f416 3fef829aaea92de0 " +
    "3c80d3e3e95c55af 3fef7a98c8a58e51 bc801b15eaa59348 3fef72b83c7d517b bc8f1ff055de323d 3fef6af9388c8dea " +
    "3c8b898c3f1353bf 3fef635beb6fcb75 bc96d99c7611eb26 3fef5be084045cd4 3c9aecf73e3a2f60 3fef54873168b9aa " +
    "bc8fe782cb86389d 3fef4d5022fcd91d 3c8a6f4144a6c38d 3fef463b88628cd6 3c807a05b0e4047d 3fef3f49917ddc96 " +
    "3c968efde3a8a894 3fef387a6e756238 3c875e18f274487d 3fef31ce4fb2a63f 3c80472b981fe7f2 3fef2b4565e27cdd " +
    "bc96b87b3f71085e 3fef24dfe1f56381 3c82f7e16d09ab31 3fef1e9df51fdee1 bc3d219b1a6fbffa 3fef187fd0dad990 " +
    "3c8b3782720c0ab4 3fef1285a6e4030b 3c6e149289cecb8f 3fef0cafa93e2f56 3c834d754db0abb6 3fef06fe0a31b715 " +
    "3c864201e2ac744c 3fef0170fc4cd831 3c8fdd395dd3f84a 3feefc08b26416ff bc86a3803b8e5b04 3feef6c55f929ff1 " +
    "bc924aedcc4b5068 3feef1a7373aa9cb bc9907f81b512d8e 3feeecae6d05d866 bc71d1e83e9436d2 3feee7db34e59ff7 " +
    "bc991919b3ce1b15 3feee32dc313a8e5 3c859f48a72a4c6d 3feedea64c123422 bc9312607a28698a 3feeda4504ac801c " +
    "bc58a78f4817895b 3feed60a21f72e2a bc7c2c9b67499a1b 3feed1f5d950a897 3c4363ed60c2ac11 3feece086061892d " +
    "3c9666093b0664ef 3feeca41ed1d0057 3c6ecce1daa10379 3feec6a2b5c13cd0 3c93ff8e3f0f1230 3feec32af0d7d3de " +
    "3c7690cebb7aafb0 3feebfdad5362a27 3c931dbdeb54e077 3feebcb299fddd0d bc8f94340071a38e 3feeb9b2769d2ca7 " +
    "bc87deccdc93a349 3feeb6daa2cf6642 bc78dec6bd0f385f 3feeb42b569d4f82 bc861246ec7b5cf6 3feeb1a4ca5d920f " +
    "3c93350518fdd78e 3feeaf4736b527da 3c7b98b72f8a9b05 3feead12d497c7fd 3c9063e1e21c5409 3feeab07dd485429 " +
    "3c34c7855019c6ea 3feea9268a5946b7 3c9432e62b64c035 3feea76f15ad2148 bc8ce44a6199769f 3feea5e1b976dc09 " +
    "bc8c33c53bef4da8 3feea47eb03a5585 bc845378892be9ae 3feea34634ccc320 bc93cedd78565858 3feea23882552225 " +
    "3c5710aa807e1964 3feea155d44ca973 bc93b3efbf5e2228 3feea09e667f3bcd bc6a12ad8734b982 3feea012750bdabf " +
    "bc6367efb86da9ee 3fee9fb23c651a2f bc80dc3d54e08851 3fee9f7df9519484 bc781f647e5a3ecf 3fee9f75e8ec5f74 " +
    "bc86ee4ac08b7db0 3fee9f9a48a58174 bc8619321e55e68a 3fee9feb564267c9 3c909ccb5e09d4d3 3feea0694fde5d3f " +
    "bc7b32dcb94da51d 3feea11473eb0187 3c94ecfd5467c06b 3feea1ed0130c132 3c65ebe1abd66c55 3feea2f336cf4e62 " +
    "bc88a1c52fb3cf42 3feea427543e1a12 bc9369b6f13b3734 3feea589994cce13 bc805e843a19ff1e 3feea71a4623c7ad " +
    "bc94d450d872576e 3feea8d99b4492ed 3c90ad675b0e8a00 3feeaac7d98a6699 3c8db72fc1f0eab4 3feeace5422aa0db " +
    "bc65b6609cc5e7ff 3feeaf3216b5448c 3c7bf68359f35f44 3feeb1ae99157736 bc93091fa71e3d83 3feeb45b0b91ffc6 " +
    "bc5da9b88b6c1e29 3feeb737b0cdc5e5 bc6c23f97c90b959 3feeba44cbc8520f bc92434322f4f9aa 3feebd829fde4e50 " +
    "bc85ca6cd7668e4b 3feec0f170ca07ba 3c71affc2b91ce27 3feec49182a3f090 3c6dd235e10a73bb 3feec86319e32323 " +
    "bc87c50422622263 3feecc667b5de565 3c8b1c86e3e231d5 3feed09bec4a2d33 bc91bbd1d3bcbb15 3feed503b23e255d " +
    "3c90cc319cee31d2 3feed99e1330b358 3c8469846e735ab3 3feede6b5579fdbf bc82dfcd978e9db4 3feee36bbfd3f37a " +
    "3c8c1a7792cb3387 3feee89f995ad3ad bc907b8f4ad1d9fa 3feeee07298db666 bc55c3d956dcaeba 3feef3a2b84f15fb " +
    "bc90a40e3da6f640 3feef9728de5593a bc68d6f438ad9334 3feeff76f2fb5e47 bc91eee26b588a35 3fef05b030a1064a " +
    "3c74ffd70a5fddcd 3fef0c1e904bc1d2 bc91bdfbfa9298ac 3fef12c25bd71e09 3c736eae30af0cb3 3fef199bdd85529c " +
    "3c8ee3325c9ffd94 3fef20ab5fffd07a 3c84e08fd10959ac 3fef27f12e57d14b 3c63cdaf384e1a67 3fef2f6d9406e7b5 " +
    "3c676b2c6c921968 3fef3720dcef9069 bc808a1883ccb5d2 3fef3f0b555dc3fa bc8fad5d3ffffa6f 3fef472d4a07897c " +
    "bc900dae3875a949 3fef4f87080d89f2 3c74a385a63d07a7 3fef5818dcfba487 bc82919e2040220f 3fef60e316c98398 " +
    "3c8e5a50d5c192ac 3fef69e603db3285 3c843a59ac016b4b 3fef7321f301b460 bc82d52107b43e1f 3fef7c97337b9b5f " +
    "bc892ab93b470dc9 3fef864614f5a129 3c74b604603a88d3 3fef902ee78b3ff6 3c83c5ec519d7271 3fef9a51fbc74c83 " +
    "bc8ff7128fd391f0 3fefa4afa2a490da bc8dae98e223747d 3fefaf482d8e67f1 3c8ec3bc41aa2008 3fefba1bee615a27 " +
    "3c842b94c3a9eb32 3fefc52b376bba97 3c8a64a931d185ee 3fefd0765b6e4540 bc8e37bae43be3ed 3fefdbfdad9cbe14 " +
    "3c77893b4d91cd9d 3fefe7c1819e90d8 3c5305c14160cc89 3feff3c22b8f71f1 ";

  function decode(hex) {
    const words = hex.trim().split(/\s+/);
    const out = {hi: new Uint32Array(words.length), lo: new Uint32Array(words.length),
                 f: new Float64Array(words.length)};
    for (let i = 0; i < words.length; i++) {
      out.hi[i] = parseInt(words[i].slice(0, 8), 16);
      out.lo[i] = parseInt(words[i].slice(8), 16);
      out.f[i] = fromWords(out.hi[i], out.lo[i]);
    }
    return out;
  }

  const [LN2HI, LN2LO, A0, A1, A2, A3, A4, A5, A6] = decode(POW_LOG_CONSTANTS).f;
  const LOG_TAB = decode(POW_LOG_TABLE).f;
  const [INVLN2N, NEGLN2HIN, NEGLN2LON, C2, C3, C4, C5, SHIFT] = decode(EXP_CONSTANTS).f;
  const [, , LA0, LA1, LA2, LA3, LA4, B0, B1, B2, B3, B4, B5, B6, B7, B8, B9, B10] = decode(LOG_CONSTANTS).f;
  const LOG_TAB2 = decode(LOG_TABLE).f;
  const EXP_TAIL = new Float64Array(128), EXP_HI = new Uint32Array(128), EXP_LO = new Uint32Array(128);
  (function () {
    const t = decode(EXP_TABLE);
    for (let j = 0; j < 128; j++) {
      EXP_TAIL[j] = t.f[2 * j];
      EXP_HI[j] = t.hi[2 * j + 1];
      EXP_LO[j] = t.lo[2 * j + 1];
    }
  })();

  const SIGN_BIAS = 0x40000;  // 0x800 << 7: sets the sign bit of the result's scale

  function checkint(y) {  // y finite and not 0: 0 if not an integer, 1 if odd, 2 if even
    if (!Number.isInteger(y)) return 0;
    return Math.abs(y) < 9007199254740992 && y % 2 !== 0 ? 1 : 2;
  }

  /** x^y as glibc's pow computes it (special cases by C99 Annex F, as glibc returns them). */
  function pow(x, y) {
    F64[0] = x;
    let xHi = U32[HI], xLo = U32[LO];
    F64[0] = y;
    const yHi = U32[HI];
    let topx = xHi >>> 20;
    const topy = yHi >>> 20;
    let signBias = 0;
    if (((topx - 1) >>> 0) >= 0x7fe || (((topy & 0x7ff) - 0x3be) >>> 0) >= 0x80) {
      // x is 0, subnormal, negative, inf or NaN; or |y| < 2^-65, |y| >= 2^63, inf or NaN
      if (y === 0 || y !== y || y === Infinity || y === -Infinity) {
        if (y === 0 || x === 1) return 1.0;
        if (x !== x || y !== y) return x + y;
        if (x === -1) return 1.0;
        return (Math.abs(x) < 1) === (y > 0) ? 0.0 : y * y;
      }
      if (x === 0 || x !== x || x === Infinity || x === -Infinity) {
        let x2 = x * x, negative = false;
        if (xHi >>> 31 && checkint(y) === 1) {
          x2 = -x2;
          negative = true;
        }
        if (x === 0 && yHi >>> 31) return negative ? -Infinity : Infinity;
        return yHi >>> 31 ? 1 / x2 : x2;
      }
      if (xHi >>> 31) {  // finite x < 0: an integer y only
        const yint = checkint(y);
        if (yint === 0) return NaN;
        if (yint === 1) signBias = SIGN_BIAS;
        xHi &= 0x7fffffff;
        topx &= 0x7ff;
      }
      if ((((topy & 0x7ff) - 0x3be) >>> 0) >= 0x80) {
        if (xHi === 0x3ff00000 && xLo === 0) return 1.0;
        const above = xHi > 0x3ff00000 || (xHi === 0x3ff00000 && xLo > 0);
        if ((topy & 0x7ff) < 0x3be) return above ? 1.0 + y : 1.0 - y;
        return above === (topy < 0x800) ? Infinity : 0.0;
      }
      if (topx === 0) {  // subnormal x: normalised, its exponent below the normal range
        F64[0] = x * 4503599627370496;  // 2^52
        xHi = ((U32[HI] & 0x7fffffff) - 0x03400000) >>> 0;
        xLo = U32[LO];
      }
    }
    return powMain(xHi, xLo, y, signBias);
  }

  // log(x) as ly + ltail for the last x (a bias correction asks for beta^1, beta^2, ...)
  let cachedHi = -1, cachedLo = -1, cachedLy = 0, cachedTail = 0;

  function powMain(ixHi, ixLo, y, signBias) {
    if (ixHi !== cachedHi || ixLo !== cachedLo) {
      // x = 2^k z with z in [0x3fe6955500000000, 2 * that); c near z from a table of 128
      const tmpHi = (ixHi - 0x3fe69555) | 0;
      const i = (tmpHi >>> 13) & 127;
      const kd = tmpHi >> 20;
      const z = fromWords((ixHi - (tmpHi & 0xfff00000)) >>> 0, ixLo);
      const invc = LOG_TAB[3 * i], logc = LOG_TAB[3 * i + 1], logctail = LOG_TAB[3 * i + 2];
      const t1 = fma(kd, LN2HI, logc);
      const lo1 = fma(kd, LN2LO, logctail);
      const r = fma(z, invc, -1.0);
      const ar = r * A0;
      const q1 = fma(r, A2, A1);
      const q3 = fma(r, A4, A3);
      const t2 = r + t1;
      const ar2 = r * ar;
      const d1 = t1 - t2;
      const ar3 = r * ar2;
      const lo3 = fma(ar, r, -ar2);
      const lo2 = d1 + r;
      const q5 = fma(fma(r, A6, A5), ar2, q3);
      const hi = t2 + ar2;
      const lo4 = (t2 - hi) + ar2;
      const q = fma(ar2, q5, q1);
      const lo = fma(ar3, q, ((lo1 + lo2) + lo3) + lo4);
      cachedLy = hi + lo;
      cachedTail = (hi - cachedLy) + lo;
      cachedHi = ixHi;
      cachedLo = ixLo;
    }
    const ehi = y * cachedLy;
    const elo = fma(y, cachedTail, fma(cachedLy, y, -ehi));
    return expInline(ehi, elo, signBias);
  }

  /** e^x as glibc's exp computes it. */
  function exp(x) {
    if (x !== x || x === Infinity) return 1.0 + x;
    if (x === -Infinity) return 0;
    return expInline(x, null, 0);
  }

  /** e^(x + xtail), times -1 with the sign bias; pow's exp, and exp's with no tail (null). */
  function expInline(x, xtail, signBias) {
    F64[0] = x;
    const xHi = U32[HI];
    const abstop = (xHi >>> 20) & 0x7ff;
    let large = false;
    if (((abstop - 0x3c9) >>> 0) >= 0x3f) {  // |x| < 2^-54 or |x| >= 512
      if (abstop < 0x3c9) {
        const one = 1.0 + x;
        return signBias ? -one : one;
      }
      if (abstop >= 0x409) {  // over- or underflow
        if (xHi >>> 31) return signBias ? -0 : 0;
        return signBias ? -Infinity : Infinity;
      }
      large = true;
    }
    // x = k ln2/128 + r; exp(x) = 2^(k/128) exp(r)
    const kd0 = fma(x, INVLN2N, SHIFT);
    F64[0] = kd0;
    const ki = U32[LO] | 0;
    const kd = kd0 - SHIFT;
    const r0 = fma(kd, NEGLN2LON, fma(kd, NEGLN2HIN, x));
    const r = xtail === null ? r0 : xtail + r0;
    const j = ki & 127;
    const sHi = (EXP_HI[j] + ((ki + signBias) << 13)) >>> 0, sLo = EXP_LO[j];
    const p1 = fma(r, C3, C2);
    const t0 = r + EXP_TAIL[j];
    const r2 = r * r;
    const p2 = fma(r, C5, C4);
    const tmp = fma(p2, r2 * r2, fma(p1, r2, t0));
    if (large) return expLarge(tmp, sHi, sLo, ki);
    const scale = fromWords(sHi, sLo);
    return fma(tmp, scale, scale);
  }

  function expLarge(tmp, sHi, sLo, ki) {  // the result may over- or underflow
    if ((ki & 0x80000000) === 0) {
      const scale = fromWords((sHi - 0x3f100000) >>> 0, sLo);  // 2^-1009 of it
      return fma(tmp, scale, scale) * 5.486124068793689e+303;  // 2^1009
    }
    const sbits = (sHi + 0x3fe00000) >>> 0;  // 2^1022 of it
    const scale = fromWords(sbits, sLo);
    const st = tmp * scale;
    let y = scale + st;
    if (Math.abs(y) < 1.0) {  // rounded once before scaling into the subnormal range
      const one = y < 0 ? -1.0 : 1.0;
      const lo = (scale - y) + st;
      const hi = y + one;
      y = ((((one - hi) + y) + lo) + hi) - one;
      if (y === 0) y = sbits >>> 31 ? -0 : 0;
    }
    return y * 2.2250738585072014e-308;  // 2^-1022
  }

  /** log(x) as glibc's log computes it. */
  function log(x) {
    if (x >= 0.9375 && x < 1.064697265625) {  // near 1 (1 - 2^-4 to 1 + 0x1.09p-4): a polynomial in r = x - 1
      if (x === 1) return 0;
      const r = x - 1.0;
      const r2 = r * r;
      const r3 = r * r2;
      const p = fma(fma(fma(r3, B10, fma(r2, B9, fma(r, B8, B7))), r3, fma(r2, B6, fma(r, B5, B4))), r3,
                    fma(r2, B3, fma(r, B2, B1)));
      const w = r * 134217728;  // 2^27: rhi, rlo split r exactly, rhi * rhi is exact
      const rhi = (r + w) - w, rlo = r - rhi;
      const hw = rhi * rhi * B0;
      const hi = r + hw;
      const lo = fma(B0 * rlo, r + rhi, (r - hi) + hw);
      return hi + fma(p, r3, lo);
    }
    F64[0] = x;
    let ixHi = U32[HI], ixLo = U32[LO];
    const top = ixHi >>> 16;
    if (((top - 0x0010) >>> 0) >= 0x7fe0) {  // 0, subnormal, negative, inf or NaN
      if (x === 0) return -Infinity;
      if (x === Infinity) return x;
      if (top & 0x8000 || (top & 0x7ff0) === 0x7ff0) return NaN;
      F64[0] = x * 4503599627370496;  // 2^52: normalised, its exponent below the normal range
      ixHi = (U32[HI] - 0x03400000) >>> 0;
      ixLo = U32[LO];
    }
    // x = 2^k z with z in [0x3fe6000000000000, 2 * that); c near z from a table of 128
    const tmpHi = (ixHi - 0x3fe60000) | 0;
    const i = (tmpHi >>> 13) & 127;
    const kd = tmpHi >> 20;
    const z = fromWords((ixHi - (tmpHi & 0xfff00000)) >>> 0, ixLo);
    const r = fma(z, LOG_TAB2[2 * i], -1.0);
    const w = fma(kd, LN2HI, LOG_TAB2[2 * i + 1]);
    const hi = r + w;
    const lo = fma(kd, LN2LO, (w - hi) + r);
    const r2 = r * r;
    const q = fma(fma(r, LA4, LA3), r2, fma(r, LA2, LA1));
    return fma(r * r2, q, fma(r2, LA0, lo)) + hi;
  }

  /** base^(k*scale) for k = 0..n, as engine/optimizers.py `_pow` tabulates them; kept for reuse. */
  const powerTables = new Map();
  function powers(base, scale, n) {
    const key = `${Object.is(base, -0) ? "-0" : base} ${scale}`;
    let table = powerTables.get(key);
    if (table === undefined || table.length < n + 1) {
      table = new Float64Array(n + 1);
      for (let k = 0; k <= n; k++) table[k] = pow(base, k * scale);
      if (powerTables.size >= 32) powerTables.delete(powerTables.keys().next().value);
      powerTables.set(key, table);
    }
    return table;
  }

  // -------------------------------------------------------------------------------------------
  // Objectives: f and its gradient at a point, in engine/objectives.py's order of operations
  // -------------------------------------------------------------------------------------------
  // Each kind, given the spec's objective and one run, builds {evaluate(x, y, t, g)}: it writes
  // the gradient at (x, y) into g[0], g[1] and returns f(x, y); t is the step, for an objective
  // that samples data.

  const TWO_PI = 2 * Math.PI, TWENTY_PI = 20.0 * Math.PI;

  const OBJECTIVES = {
    rosenbrock: () => ({
      evaluate(x, y, t, g) {
        const r = y - x * x;
        g[0] = 2.0 * (x - 1.0) - 400.0 * x * r;
        g[1] = 200.0 * r;
        const a = 1.0 - x;
        return a * a + 100.0 * (r * r);
      },
    }),
    beale: () => ({
      evaluate(x, y, t, g) {
        const y2 = y * y, y3 = y2 * y;
        const a = 1.5 - x + x * y, b = 2.25 - x + x * y2, c = 2.625 - x + x * y3;
        g[0] = 2.0 * a * (y - 1.0) + 2.0 * b * (y2 - 1.0) + 2.0 * c * (y3 - 1.0);
        g[1] = 2.0 * a * x + 4.0 * b * x * y + 6.0 * c * x * y2;
        return a * a + b * b + c * c;
      },
    }),
    himmelblau: () => ({
      evaluate(x, y, t, g) {
        const a = x * x + y - 11.0, b = x + y * y - 7.0;
        g[0] = 4.0 * x * a + 2.0 * b;
        g[1] = 2.0 * a + 4.0 * y * b;
        return a * a + b * b;
      },
    }),
    saddle: () => ({
      evaluate(x, y, t, g) {
        g[0] = 1.0 * x;
        g[1] = y * y * y - y;
        return 0.5 * x * x + 0.25 * pow(y, 4) - 0.5 * y * y;  // numpy's y**4 is pow(y, 4)
      },
    }),
    rastrigin: () => ({
      evaluate(x, y, t, g) {
        g[0] = 2.0 * x + TWENTY_PI * Math.sin(TWO_PI * x);
        g[1] = 2.0 * y + TWENTY_PI * Math.sin(TWO_PI * y);
        return 20.0 + ((x * x - 10.0 * Math.cos(TWO_PI * x)) + (y * y - 10.0 * Math.cos(TWO_PI * y)));
      },
    }),
    // 0.5 (theta - c)^T H (theta - c) written coordinate by coordinate (quadratic, scaled)
    quadratic: (o) => {
      const [h00, h01, h10, h11] = o.hess.map(number), [cx, cy] = o.center.map(number);
      return {
        evaluate(x, y, t, g) {
          const dx = x - cx, dy = y - cy;
          g[0] = h00 * dx + h01 * dy;
          g[1] = h10 * dx + h11 * dy;
          return 0.5 * (dx * g[0] + dy * g[1]);
        },
      };
    },
    // A typed function: the compiled program of engine/expr.py (value, d/dx, d/dy)
    program: (o) => compileProgram(o.ops, o.outputs),
    // Least squares on sampled binary rows: the gradient of step t is the mean over that step's
    // rows x of x (x . (w - w*)); f = 0.5 d^T H d. The rows come with each run (runs[i].rows).
    sparse2d: (o, run) => {
      const [w0, w1] = o.optimum.map(number), [h00, h01, h10, h11] = o.hess.map(number);
      const batch = o.batch;
      const rows = decodeRows(run.rows, batch);
      return {
        evaluate(x, y, t, g) {
          const d0 = x - w0, d1 = y - w1;
          let s0 = 0, s1 = 0;
          for (let k = 0, at = t * batch; k < batch; k++, at++) {
            const r0 = rows[at] & 1, r1 = rows[at] >> 1;
            const res = r0 * d0 + r1 * d1;
            if (k === 0) {
              s0 = r0 * res;
              s1 = r1 * res;
            } else {
              s0 += r0 * res;
              s1 += r1 * res;
            }
          }
          g[0] = s0 / batch;
          g[1] = s1 / batch;
          return 0.5 * ((d0 * h00 + d1 * h10) * d0 + (d0 * h01 + d1 * h11) * d1);
        },
      };
    },
  };

  function decodeRows(text, batch) {
    if (typeof text !== "string") throw new Error("a sampled objective needs each run's rows");
    const rows = new Uint8Array(text.length + batch);  // the step after the last reads zeros
    for (let i = 0; i < text.length; i++) rows[i] = text.charCodeAt(i) - 48;
    return rows;
  }

  // The typed-function program: ops [["num", v], ["var", "x"], ["neg", i], ["call", name, i],
  // [op, i, j]] on earlier results, as engine/expr.py `Program.run` evaluates them. Parts that
  // do not depend on x and y are computed once here (numpy evaluates them as scalars, with the
  // same functions). exp and log are glibc's (above); sin, cos, tan, tanh, sinh, cosh and atan are
  // V8's, which differ from glibc's (tanh: from numpy's own) in the last bit now and then.
  const CALLS = {
    sin: Math.sin, cos: Math.cos, tan: Math.tan, exp, log, sqrt: Math.sqrt,
    abs: Math.abs, tanh: Math.tanh, sinh: Math.sinh, cosh: Math.cosh, atan: Math.atan, sign: Math.sign,
  };
  const CALL_NAMES = Object.keys(CALLS);
  const CALL_FUNCTIONS = CALL_NAMES.map((name) => CALLS[name]);
  const X = 1, Y = 2, ADD = 3, SUB = 4, MUL = 5, DIV = 6, POW = 7, NEG = 8, SQUARE = 9, RECIPROCAL = 10,
    SQRT = 11, CALL = 16;  // CALL + k: the k-th of CALL_NAMES
  const ARITHMETIC = {"+": ADD, "-": SUB, "*": MUL, "/": DIV, "**": POW};

  /**
   * How numpy computes `a ** b` for a constant b in `Program.run`: an integer b is `a ** int(b)`,
   * which for an array a is a*a for 2 and 1/a for -1 (numpy's fast paths) and glibc's pow for
   * the others, and for a constant a numpy's scalar power, always pow; any other constant b is
   * `np.power(a, b)`, whose loop takes sqrt for a scalar exponent 0.5 and pow for the others.
   * pow differs from a*a, 1/a and sqrt in the last bit for about 1 argument in 1200.
   */
  function power(b, constantBase) {
    if (Number.isInteger(b)) {
      if (constantBase) return POW;
      return b === 2 ? SQUARE : b === -1 ? RECIPROCAL : POW;
    }
    return b === 0.5 ? SQRT : POW;
  }

  function compileProgram(ops, outputs) {
    const n = ops.length;
    const vals = new Float64Array(n), constant = new Uint8Array(n);
    const code = [], arg1 = [], arg2 = [], dest = [];
    for (let i = 0; i < n; i++) {
      const [kind, a, b] = ops[i];
      let c, u = 0, v = 0;
      if (kind === "num") {
        vals[i] = number(a);
        constant[i] = 1;
        continue;
      } else if (kind === "var") {
        if (a !== "x" && a !== "y") throw new Error(`unknown variable ${a}`);
        c = a === "x" ? X : Y;
      } else if (kind === "neg") {
        c = NEG;
        u = operand(a, i);
      } else if (kind === "call") {
        const k = CALL_NAMES.indexOf(a);
        if (k < 0) throw new Error(`unknown function ${a}`);
        c = CALL + k;
        u = operand(b, i);
      } else if (kind in ARITHMETIC) {
        c = ARITHMETIC[kind];
        u = operand(a, i);
        v = operand(b, i);
        if (kind === "**" && constant[v]) c = power(vals[v], constant[u]);
      } else {
        throw new Error(`unknown operation ${kind}`);
      }
      if (c !== X && c !== Y && constant[u] && (c === NEG || c >= CALL || constant[v])) {
        vals[i] = step(c, vals[u], vals[v]);  // a constant: computed once
        constant[i] = 1;
        continue;
      }
      code.push(c);
      arg1.push(u);
      arg2.push(v);
      dest.push(i);
    }
    const [fo, gxo, gyo] = outputs.map((o) => operand(o, n));
    const codes = Int32Array.from(code), as = Int32Array.from(arg1), bs = Int32Array.from(arg2),
      ds = Int32Array.from(dest), m = codes.length;
    return {
      evaluate(x, y, t, g) {
        for (let k = 0; k < m; k++) {
          const c = codes[k];
          vals[ds[k]] = c === X ? x : c === Y ? y : step(c, vals[as[k]], vals[bs[k]]);
        }
        g[0] = vals[gxo];
        g[1] = vals[gyo];
        return vals[fo];
      },
    };
  }

  function operand(j, i) {
    if (!Number.isInteger(j) || j < 0 || j >= i) throw new Error("a program refers to a later result");
    return j;
  }

  function step(c, a, b) {
    switch (c) {
      case ADD: return a + b;
      case SUB: return a - b;
      case MUL: return a * b;
      case DIV: return a / b;
      case POW: return pow(a, b);
      case NEG: return -a;
      case SQUARE: return a * a;
      case RECIPROCAL: return 1 / a;
      case SQRT: return Math.sqrt(a);
      default: return CALL_FUNCTIONS[c - CALL](a);
    }
  }

  // -------------------------------------------------------------------------------------------
  // Optimisers: engine/optimizers.py's factories, keyword arguments and all
  // -------------------------------------------------------------------------------------------
  // A factory takes the engine factory's keyword arguments (hyperparameters but the learning
  // rate, and the registry row's fixed ones) and the number of steps, and returns
  // {state: [names], update(g, s, p, lr, out)}: s holds `count` and one Float64Array(2) per
  // state name (the arrays the engine records, in its order), zero at the start; update reads
  // the gradient g and parameters p, advances s, and writes the new parameters into out.p and
  // the effective learning rate into out.eff. Defaults are the factories' own.

  function arg(a, name, fallback) {
    return a[name] === undefined ? fallback : a[name];
  }

  const OPTIMIZERS = {
    // SGD, heavy ball (b = mu b + g) and Nesterov (g + mu b), torch's buffer form
    sgd(a) {
      const mu = arg(a, "momentum", 0.0), nesterov = !!arg(a, "nesterov", false);
      const wd = arg(a, "weight_decay", 0.0);
      const useMomentum = mu !== 0 || nesterov;
      return {
        state: useMomentum ? ["buf"] : [],
        update(g, s, p, lr, out) {
          for (let k = 0; k < 2; k++) {
            const gk = wd !== 0 ? g[k] + wd * p[k] : g[k];
            if (useMomentum) {
              const b = mu * s.buf[k] + gk;
              s.buf[k] = b;
              out.p[k] = p[k] - lr * (nesterov ? gk + mu * b : b);
            } else {
              out.p[k] = p[k] - lr * gk;
            }
            out.eff[k] = lr;
          }
        },
      };
    },

    // G += g^2; theta -= lr / (sqrt(G) + eps) * g
    adagrad(a) {
      const eps = arg(a, "eps", 1e-10);
      return {
        state: ["sum_sq"],
        update(g, s, p, lr, out) {
          for (let k = 0; k < 2; k++) {
            const sum = s.sum_sq[k] + g[k] * g[k];
            s.sum_sq[k] = sum;
            const eff = lr / (Math.sqrt(sum) + eps);
            out.p[k] = p[k] - eff * g[k];
            out.eff[k] = eff;
          }
        },
      };
    },

    // v = rho v + (1-rho) g^2 (centred: minus the squared running mean of g)
    rmsprop(a) {
      const rho = arg(a, "rho", 0.9), eps = arg(a, "eps", 1e-8), centered = !!arg(a, "centered", false);
      const keep = 1.0 - rho;
      return {
        state: ["v", "g_avg"],
        update(g, s, p, lr, out) {
          for (let k = 0; k < 2; k++) {
            const v = rho * s.v[k] + keep * (g[k] * g[k]);
            s.v[k] = v;
            let denom;
            if (centered) {
              const ga = rho * s.g_avg[k] + keep * g[k];
              s.g_avg[k] = ga;
              denom = Math.sqrt(max(v - ga * ga, 0.0)) + eps;
            } else {
              denom = Math.sqrt(v) + eps;
            }
            const eff = lr / denom;
            out.p[k] = p[k] - eff * g[k];
            out.eff[k] = eff;
          }
        },
      };
    },

    // Adam (AdamW when decoupled), AMSGrad's max of v, bias correction switchable
    adam(a, steps) {
      const b1 = arg(a, "beta1", 0.9), b2 = arg(a, "beta2", 0.999), eps = arg(a, "eps", 1e-8);
      const wd = arg(a, "weight_decay", 0.0), amsgrad = !!arg(a, "amsgrad", false);
      const corrected = !!arg(a, "bias_correction", true), decoupled = !!arg(a, "decoupled", false);
      const coupledWd = decoupled ? 0.0 : wd, decoupledWd = decoupled ? wd : 0.0;
      const pow1 = powers(b1, 1.0, steps), pow2 = powers(b2, 1.0, steps);
      const keep1 = 1.0 - b1, keep2 = 1.0 - b2;
      const pk = new Float64Array(2);
      return {
        state: ["m", "v", "v_max"],
        update(g, s, p, lr, out) {
          const count = ++s.count;
          const bc1 = corrected ? 1.0 - pow1[count] : 1.0, bc2 = corrected ? 1.0 - pow2[count] : 1.0;
          const shrink = 1.0 - lr * decoupledWd;
          for (let k = 0; k < 2; k++) {
            pk[k] = decoupledWd !== 0 ? p[k] * shrink : p[k];
            const gk = coupledWd !== 0 ? g[k] + coupledWd * pk[k] : g[k];
            const m = b1 * s.m[k] + keep1 * gk;
            const v = b2 * s.v[k] + keep2 * (gk * gk);
            s.m[k] = m;
            s.v[k] = v;
            let vUsed = v;
            if (amsgrad) vUsed = s.v_max[k] = max(s.v_max[k], v);
            const denom = Math.sqrt(vUsed) / Math.sqrt(bc2) + eps;
            out.p[k] = pk[k] - ((lr / bc1) * m) / denom;
            out.eff[k] = lr / denom;
          }
        },
      };
    },

    // NAdam: torch's momentum schedule mu_t = beta1 (1 - 0.5 * 0.96^(t psi))
    nadam(a, steps) {
      const b1 = arg(a, "beta1", 0.9), b2 = arg(a, "beta2", 0.999), eps = arg(a, "eps", 1e-8);
      const psi = arg(a, "momentum_decay", 4e-3);
      const schedule = powers(0.96, psi, steps + 1), pow2 = powers(b2, 1.0, steps);
      const keep1 = 1.0 - b1, keep2 = 1.0 - b2;
      return {
        state: ["m", "v"],
        init(s) {
          s.mu_product = 1.0;
        },
        update(g, s, p, lr, out) {
          const count = ++s.count;
          const mu = b1 * (1.0 - 0.5 * schedule[count]);
          const muNext = b1 * (1.0 - 0.5 * schedule[count + 1]);
          const muProduct = s.mu_product * mu;
          s.mu_product = muProduct;
          const c1 = (1.0 - mu) / (1.0 - muProduct), c2 = muNext / (1.0 - muProduct * muNext);
          const bc2 = 1.0 - pow2[count];
          for (let k = 0; k < 2; k++) {
            const m = b1 * s.m[k] + keep1 * g[k];
            const v = b2 * s.v[k] + keep2 * (g[k] * g[k]);
            s.m[k] = m;
            s.v[k] = v;
            const eff = lr / (Math.sqrt(v / bc2) + eps);
            out.p[k] = (p[k] - eff * g[k] * c1) - eff * m * c2;
            out.eff[k] = eff;
          }
        },
      };
    },

    // RAdam: momentum SGD on m_hat until the variance estimate rho_t passes 5, then rectified
    radam(a, steps) {
      const b1 = arg(a, "beta1", 0.9), b2 = arg(a, "beta2", 0.999), eps = arg(a, "eps", 1e-8);
      const pow1 = powers(b1, 1.0, steps), pow2 = powers(b2, 1.0, steps);
      const keep1 = 1.0 - b1, keep2 = 1.0 - b2;
      const rhoInf = 2.0 / (1.0 - b2) - 1.0;
      return {
        state: ["m", "v", "v_max"],
        update(g, s, p, lr, out) {
          const count = ++s.count;
          const bc1 = 1.0 - pow1[count], bc2 = 1.0 - pow2[count];
          const rhoT = rhoInf - 2.0 * count * pow2[count] / bc2;
          const rectified = rhoT > 5.0;
          const rect = rectified
            ? Math.sqrt((rhoT - 4) * (rhoT - 2) * rhoInf / ((rhoInf - 4) * (rhoInf - 2) * rhoT)) : 1.0;
          for (let k = 0; k < 2; k++) {
            const m = b1 * s.m[k] + keep1 * g[k];
            const v = b2 * s.v[k] + keep2 * (g[k] * g[k]);
            s.m[k] = m;
            s.v[k] = v;
            const eff = rectified ? lr * rect * Math.sqrt(bc2) / (Math.sqrt(v) + eps) : lr;
            out.p[k] = p[k] - (m / bc1) * eff;
            out.eff[k] = eff;
          }
        },
      };
    },

    // Adamax: u = max(beta2 u, |g| + eps)
    adamax(a, steps) {
      const b1 = arg(a, "beta1", 0.9), b2 = arg(a, "beta2", 0.999), eps = arg(a, "eps", 1e-8);
      const pow1 = powers(b1, 1.0, steps), keep1 = 1.0 - b1;
      return {
        state: ["m", "u"],
        update(g, s, p, lr, out) {
          const count = ++s.count;
          const bc1 = 1.0 - pow1[count];
          for (let k = 0; k < 2; k++) {
            const m = b1 * s.m[k] + keep1 * g[k];
            const u = max(b2 * s.u[k], Math.abs(g[k]) + eps);
            s.m[k] = m;
            s.u[k] = u;
            out.p[k] = p[k] - (lr / bc1) * m / u;
            out.eff[k] = lr / u;
          }
        },
      };
    },

    // Adadelta: delta = sqrt(D + eps) / sqrt(v + eps) * g, eps inside both roots
    adadelta(a) {
      const rho = arg(a, "rho", 0.9), eps = arg(a, "eps", 1e-6), keep = 1.0 - rho;
      return {
        state: ["v", "acc_delta"],
        update(g, s, p, lr, out) {
          for (let k = 0; k < 2; k++) {
            const v = rho * s.v[k] + keep * (g[k] * g[k]);
            const ratio = Math.sqrt(s.acc_delta[k] + eps) / Math.sqrt(v + eps);
            const delta = ratio * g[k];
            s.v[k] = v;
            s.acc_delta[k] = rho * s.acc_delta[k] + keep * (delta * delta);
            out.p[k] = p[k] - lr * delta;
            out.eff[k] = lr * ratio;
          }
        },
      };
    },

    // Lion: the sign of an interpolated momentum; decoupled weight decay
    lion(a) {
      const b1 = arg(a, "beta1", 0.9), b2 = arg(a, "beta2", 0.99), wd = arg(a, "weight_decay", 0.0);
      const keep1 = 1.0 - b1, keep2 = 1.0 - b2;
      return {
        state: ["m"],
        update(g, s, p, lr, out) {
          const shrink = 1.0 - lr * wd;
          for (let k = 0; k < 2; k++) {
            const pk = wd !== 0 ? p[k] * shrink : p[k];
            const direction = Math.sign(b1 * s.m[k] + keep1 * g[k]);
            s.m[k] = b2 * s.m[k] + keep2 * g[k];
            out.p[k] = pk - lr * direction;
            out.eff[k] = lr;
          }
        },
      };
    },
  };

  /** numpy's maximum: NaN if either is NaN (Math.max agrees). */
  function max(a, b) {
    return Math.max(a, b);
  }

  // -------------------------------------------------------------------------------------------
  // The run: engine/simulate.py's loop, recording every step, and its divergence rule
  // -------------------------------------------------------------------------------------------

  /** JSON numbers, and the engine's non-finite ones sent as "Infinity", "-Infinity", "NaN". */
  function number(v) {
    return typeof v === "number" ? v : Number(v);
  }

  function decodeNumbers(list, name) {
    if (list === null || list === undefined) return null;
    const out = new Float64Array(list.length);
    for (let i = 0; i < list.length; i++) out[i] = number(list[i]);
    if (out.some((v) => v !== v)) throw new Error(`${name} holds a value that is not a number`);
    return out;
  }

  function prepare(spec) {
    if (!spec || spec.format !== FORMAT) throw new Error(`not a twin spec of format ${FORMAT}`);
    const steps = spec.steps;
    if (!Number.isInteger(steps) || steps < 1) throw new Error("steps must be a whole number >= 1");
    const makeObjective = OBJECTIVES[spec.objective.kind];
    if (!makeObjective) throw new Error(`the twin has no objective ${spec.objective.kind}`);
    const makeOptimizer = OPTIMIZERS[spec.optimizer.factory];
    if (!makeOptimizer) throw new Error(`the twin has no optimiser ${spec.optimizer.factory}`);
    const factors = decodeNumbers(spec.lr_factors, "lr_factors");
    if (factors && factors.length !== steps) throw new Error("lr_factors must hold one factor per step");
    const clipValue = spec.clip_value === null || spec.clip_value === undefined ? null : number(spec.clip_value);
    const clipNorm = spec.clip_norm === null || spec.clip_norm === undefined ? null : number(spec.clip_norm);
    const recordState = spec.record_state !== false;
    const runs = spec.runs.map((run) => {
      const noise = decodeNumbers(run.noise, "noise");
      if (noise && noise.length !== 2 * steps) throw new Error("noise must hold 2 numbers per step");
      return {
        objective: makeObjective(spec.objective, run),
        start: run.start.map(number),
        hyper: Object.assign({}, run.hyper),
        noise,
        out: null,
      };
    });
    return {
      spec,
      steps,
      runs: runs.length,
      /** Run i (default 0), with `overrides.start` and `overrides.hyper` replacing the spec's. */
      run(i = 0, overrides = {}) {
        const r = runs[i];
        if (!r) throw new Error(`there is no run ${i}`);
        const hyper = Object.assign({}, r.hyper);
        for (const [name, value] of Object.entries(overrides.hyper || {})) {
          if (!(name in hyper)) throw new Error(`${spec.optimizer.name} has no hyperparameter ${name}`);
          hyper[name] = value;
        }
        const start = overrides.start ? overrides.start.map(number) : r.start;
        return simulateRun(r, hyper, start, {steps, factors, clipValue, clipNorm, recordState,
                                             makeOptimizer, fixed: spec.optimizer.fixed || {}});
      },
    };
  }

  function simulateRun(r, hyper, start, c) {
    const steps = c.steps;
    const args = Object.assign({}, c.fixed, hyper);
    const lr = args.lr;
    delete args.lr;
    if (!(lr > 0) || !Number.isFinite(lr)) throw new Error("lr must be a finite number > 0");
    const optimizer = c.makeOptimizer(args, steps);
    const names = optimizer.state;
    if (!r.out || r.out.params.length !== 2 * (steps + 1) || r.out.names !== names.join()) {
      r.out = {
        names: names.join(), steps, stopped_at: -1,
        params: new Float64Array(2 * (steps + 1)), loss: new Float64Array(steps + 1),
        grads: new Float64Array(2 * steps), eff_lr: new Float64Array(2 * steps),
        delta: new Float64Array(2 * steps), state: {},
      };
      for (const name of names) r.out.state[name] = new Float64Array(2 * steps);
    }
    const out = r.out, params = out.params, loss = out.loss, grads = out.grads, effLr = out.eff_lr,
      delta = out.delta, stateRows = names.map((name) => out.state[name]);
    const s = {count: 0};
    for (const name of names) s[name] = new Float64Array(2);
    if (optimizer.init) optimizer.init(s);
    const stateArrays = names.map((name) => s[name]);
    const objective = r.objective, noise = r.noise, factors = c.factors;
    const clipValue = c.clipValue, clipNorm = c.clipNorm, recordState = c.recordState;
    const p = new Float64Array(2), g = new Float64Array(2), next = {p: new Float64Array(2), eff: new Float64Array(2)};

    if (!(start.length === 2 && Math.abs(start[0]) < DIVERGENCE_BOUND && Math.abs(start[1]) < DIVERGENCE_BOUND)) {
      throw new Error(`start must be two finite numbers within +-${DIVERGENCE_BOUND}`);
    }
    p[0] = params[0] = start[0];
    p[1] = params[1] = start[1];
    let f = objective.evaluate(p[0], p[1], 0, g);
    if (!(f < LOSS_BOUND && f > -LOSS_BOUND)) throw new Error("the objective is not finite at the start point");
    loss[0] = f;
    let stop = -1;
    for (let t = 0; t < steps; t++) {
      // the gradient the optimiser sees: the objective's, plus noise, clipped (value, then norm)
      if (noise) {
        g[0] = g[0] + noise[2 * t];
        g[1] = g[1] + noise[2 * t + 1];
      }
      if (clipValue !== null) {
        g[0] = Math.min(Math.max(g[0], -clipValue), clipValue);
        g[1] = Math.min(Math.max(g[1], -clipValue), clipValue);
      }
      if (clipNorm !== null) {
        const scale = Math.min(1.0, clipNorm / (Math.sqrt(g[0] * g[0] + g[1] * g[1]) + 1e-6));
        g[0] = g[0] * scale;
        g[1] = g[1] * scale;
      }
      const row = 2 * t;
      grads[row] = g[0];
      grads[row + 1] = g[1];
      optimizer.update(g, s, p, factors ? lr * factors[t] : lr, next);
      effLr[row] = next.eff[0];
      effLr[row + 1] = next.eff[1];
      let finite = Number.isFinite(g[0]) && Number.isFinite(g[1]) && Number.isFinite(next.eff[0]) &&
        Number.isFinite(next.eff[1]);
      for (let j = 0; j < stateArrays.length; j++) {
        const a = stateArrays[j], rec = stateRows[j];
        rec[row] = a[0];
        rec[row + 1] = a[1];
        if (recordState) finite = finite && Number.isFinite(a[0]) && Number.isFinite(a[1]);
      }
      delta[row] = next.p[0] - p[0];
      delta[row + 1] = next.p[1] - p[1];
      p[0] = params[row + 2] = next.p[0];
      p[1] = params[row + 3] = next.p[1];
      f = objective.evaluate(p[0], p[1], t + 1, g);
      loss[t + 1] = f;
      // engine/simulate.py `_sanitise`: the first bad row stops the run
      if (!(finite && f < LOSS_BOUND && f > -LOSS_BOUND && Math.abs(p[0]) < DIVERGENCE_BOUND &&
            Math.abs(p[1]) < DIVERGENCE_BOUND)) {
        stop = t + 1;
        break;
      }
    }
    out.stopped_at = stop;
    if (stop > 0) {  // hold the last good point; no update at or after the stop
      params.fill(params[2 * stop - 2], 2 * stop, params.length);
      for (let i = 2 * stop + 1; i < params.length; i += 2) params[i] = params[2 * stop - 1];
      loss.fill(loss[stop - 1], stop);
      const from = 2 * (stop - 1);
      grads.fill(0, from);
      effLr.fill(0, from);
      delta.fill(0, from);
      for (const rec of stateRows) rec.fill(0, from);
    }
    return out;
  }

  /** prepare(spec), then every run: an array of results (fresh arrays), for one-off use. */
  function simulate(spec, overrides = {}) {
    const twin = prepare(spec);
    const results = [];
    for (let i = 0; i < twin.runs; i++) results.push(twin.run(i, overrides));
    return results;
  }

  return {FORMAT, OBJECTIVES, OPTIMIZERS, prepare, simulate, pow, exp, log, fma};
});
