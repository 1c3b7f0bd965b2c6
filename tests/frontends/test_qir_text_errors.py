"""Bad relaxed QIR text: InputError (exit 3) with a code, file:line:col, and no parser-internal names."""

from __future__ import annotations

import re

import pytest

from qmk.diagnostics import InputError
from qmk.frontends import qir_text
from qmk.frontends.errors import NotStaticError

from . import qir_corpus as C

INTERNAL = re.compile(r"LOCAL|GLOBAL|ITYPE|HEXFLOAT|PARAMATTR|ATTRREF|LPAR|RPAR|COMMA|__ANON|\$END|Token\(")
H = "call void @__quantum__qis__h__body(ptr null)\n"
ATTR = 'attributes #0 = { "entry_point" "required_num_qubits"="2" "required_num_results"="1" }\n'

CASES = [
    ("call void @__quantum__qis__h__body(%Qubit* null\n", "QMK770", 1, 48, "unexpected end of input"),
    (H + "call void @f(\n  %Qubit* null) ,\n", "QMK770", 3, 17, "unexpected ','"),
    (H + "call void @__quantum__qis__h__body(ptr nul)\n", "QMK770", 2, 40, "unexpected"),
    ("call void @__quantum__qis__foo__body(%Qubit* null)\n", "QMK702", 1, 1, "'__quantum__qis__foo__body'"),
    ("call void @__quantum__qis__cnot__body(%Qubit* null)\n", "QMK703", 1, 1, "takes 2 argument(s), got 1"),
    ("call void @__quantum__qis__h__body(%Qubit* %q)\n", "QMK772", 1, 1, "%q is used before it is defined"),
    ("%x = phi i1 [true, %a]\n", "QMK771", 1, 6, "instruction 'phi' is not supported"),
    ("br label %nowhere\n", "QMK772", 1, 1, "undefined label %nowhere"),
    ("a:\n" + H + "a:\n ret void\n", "QMK772", 3, 1, "label a is defined twice"),
    ("ret void\n" + H, "QMK771", 2, 1, "after the block's terminator"),
    ("call void @__quantum__rt__tuple_record_output(i64 1, ptr @nolabel)\n", "QMK772", 1, 1, "@nolabel"),
    ("top:\n" + H + " br label %top\n", "QMK721", 1, 1, "infinite loop: block %top"),
    ("call void @__quantum__qis__rx__body(double 0x7FF8000000000000, ptr null)\n", "QMK708", 1, 1, "not a finite"),
    ("call void @__quantum__qis__rx__body(double 0x7FF0000000000000, ptr null)\n", "QMK708", 1, 1, "not a finite"),
    ("define void @main(i64 %x) #0 {\n ret void\n}\n" + ATTR, "QMK712", 1, 1, "takes parameters"),
    ("define void @main() #0 {\n ret void\n", "QMK773", 1, 1, "no closing '}'"),
    ("}\n", "QMK773", 1, 1, "'}' without a define"),
    ("define void @main() #0 {\n ret void\n}\n" + H, "QMK773", 4, 1, "outside any function"),
    ("call void @__quantum__qis__cnot__body(ptr null, ptr null)\n", "QMK706", 1, 1, "same qubit"),
    ("call void @__quantum__qis__h__body(ptr inttoptr (i64 -1 to ptr))\n", "QMK704", 1, 1, "negative"),
    ("define void @main() #0 {\n call void @__quantum__qis__h__body(ptr inttoptr (i64 5 to ptr))\n ret void\n}\n"
     + ATTR, "QMK704", 2, 2, "outside required_num_qubits (2)"),
    ("define void @main() #0 {\n ret void\n}\n" + ATTR.replace('"2"', '"99999999999"'), "QMK705", 1, 1,
     "above the limit"),
    ("define void @main() #0 {\n ret void\n}\n" + ATTR.replace('"2"', '"two"'), "QMK774", 1, 1,
     "should be an integer"),
    (("%q = call ptr @__quantum__rt__qubit_allocate()\ncall void @__quantum__rt__qubit_release(ptr %q)\n"
      "call void @__quantum__qis__h__body(ptr %q)\n"), "QMK707", 3, 1, "after release"),
    ("define void @a() {\n ret void\n}\ndefine void @b() {\n call void @a()\n ret void\n}\n", "QMK710", None,
     None, "no entry_point attribute among: a, b"),
    (C.two_entries(), "QMK711", None, None, "several entry points: first, second"),
]


@pytest.mark.parametrize("src, code, line, col, fragment", CASES)
@pytest.mark.parametrize("fast", [True, False])
def test_bad_relaxed_qir_is_refused_with_code_and_position(src, code, line, col, fragment, fast):
    with pytest.raises(InputError) as info:
        qir_text.read(src, "bad.qir", fast=fast)
    d = info.value.diagnostics[0]
    assert info.value.exit_code == 3
    assert d.code == code, str(d)
    if line is not None:
        assert (d.loc.file, d.loc.line, d.loc.col) == ("bad.qir", line, col), str(d)
    assert fragment in d.message, d.message
    assert not INTERNAL.search(d.message), d.message


def test_loop_on_a_measurement_is_not_static_and_points_to_qmk_run():
    src = ("call void @__quantum__qis__mz__body(ptr null, ptr null)\ntop:\n"
           " %b = call i1 @__quantum__rt__read_result(ptr null)\n br i1 %b, label %top, label %out\nout:\n ret void\n")
    with pytest.raises(NotStaticError) as info:
        qir_text.read(src, "loop.qir")
    d = info.value.diagnostics[0]
    assert d.code == "QMK720" and "loop at block %top" in d.message and "qmk-run" in d.notes[0]


def test_call_into_a_defined_function_is_refused_with_the_reason():
    src = ('define void @helper() {\n ret void\n}\ndefine void @main() #0 {\n call void @helper()\n ret void\n}\n'
           'attributes #0 = { "entry_point" }\n')
    with pytest.raises(InputError, match="@helper, a function defined in the module"):
        qir_text.read(src, "calls.qir")


def test_random_text_never_crashes():
    import random

    rng = random.Random(11)
    pieces = ["call", "void", "@__quantum__qis__h__body", "(", ")", "ptr", "null", "%q", "=", ",", "br", "label",
              "i1", "\n", "inttoptr", "i64", "3", "to", "define", "{", "}", ":", "ret", "x", "0x7FF8000000000000"]
    for _ in range(300):
        text = " ".join(rng.choice(pieces) for _ in range(rng.randrange(1, 30)))
        try:
            qir_text.read(text, "junk.qir")
        except InputError as e:
            assert e.diagnostics and not INTERNAL.search(e.diagnostics[0].message)
