"""Airflow's Param: defaults, validation by hand and with jsonschema, the conf check."""
import builtins

import pytest

from cluster.sdk.dag import DAG
from cluster.errors import DagDefinitionError, InvalidInputError
from cluster.sdk.operators.empty import EmptyOperator
from cluster.sdk.params import (Param, ParamsDict, ParamValidationError, check_conf, schemas,
                            values)
from cluster.planning.serialization import serialize_dag


@pytest.fixture(params=["by_hand", "jsonschema"])
def engine(request, monkeypatch):
    """Every check runs twice: with jsonschema (if installed) and without it."""
    if request.param == "jsonschema":
        pytest.importorskip("jsonschema")
    else:
        real_import = builtins.__import__

        def no_jsonschema(name, *args, **kwargs):
            if name == "jsonschema":
                raise ImportError(name)
            return real_import(name, *args, **kwargs)

        monkeypatch.setattr(builtins, "__import__", no_jsonschema)
    return request.param


@pytest.mark.parametrize("schema, good, bad", [
    ({"type": "integer", "minimum": 0}, [0, 5], [-1, "5", 1.5, True]),
    ({"type": "integer", "maximum": 3}, [3], [4]),
    ({"type": "number", "exclusiveMinimum": 0}, [0.1], [0]),
    ({"type": "string", "minLength": 2, "maxLength": 3}, ["ab", "abc"], ["a", "abcd", 7]),
    ({"type": "string", "pattern": "^[a-z]+$"}, ["abc"], ["ABC", "a1"]),
    ({"enum": ["EUR", "USD"]}, ["EUR"], ["GBP"]),
    ({"type": "string", "format": "date"}, ["2024-02-29"], ["2023-02-29", "today"]),
    ({"type": "string", "format": "date-time"}, ["2024-01-01T06:00:00+00:00"], ["01/01/2024"]),
    ({"type": ["null", "string"]}, [None, "x"], [1]),
    ({"type": "boolean"}, [True, False], [0, "true"]),
    ({"type": "array", "minItems": 1}, [[1]], [[], "x"]),
    ({"type": "object", "required": ["a"]}, [{"a": 1}], [{}, []]),
])
def test_schema_keywords(engine, schema, good, bad):
    for value in good:
        assert Param(value, **schema).resolve() == value
    for value in bad:
        with pytest.raises(ParamValidationError) as info:
            Param(**schema).resolve(value)
        assert "\n" not in str(info.value)


def test_param_default_conf_override_and_missing_value(engine):
    p = Param(5, type="integer", minimum=0, description="how many")
    assert p.resolve() == 5 and p.resolve(7) == 7 and p.schema["description"] == "how many"
    assert values({"x": p, "plain": "v", "none": Param(type="string")}) == \
        {"x": 5, "plain": "v", "none": None}
    dumped = schemas({"x": p, "plain": "v", "need": Param(type="string")})
    assert set(dumped) == {"x", "need"} and dumped["x"]["default"] == 5
    assert "default" not in dumped["need"]
    check_conf(dumped, {"need": "here"})
    check_conf(dumped, {"need": "here", "x": 0, "unrelated": [1]})
    with pytest.raises(InvalidInputError, match="param 'x': -1 is less than the minimum of 0"):
        check_conf(dumped, {"need": "here", "x": -1})
    with pytest.raises(InvalidInputError, match="param 'need': no value given"):
        check_conf(dumped, {})
    with pytest.raises(InvalidInputError, match="^run of 'd' refused: param 'x': "):
        check_conf(dumped, {"need": "here", "x": "5"}, "d")


def test_params_dict_gives_values_and_params():
    pd = ParamsDict({"a": Param(1, type="integer"), "b": "text"})
    assert pd["a"] == 1 and pd["b"] == "text" and isinstance(pd.get_param("a"), Param)
    pd["a"] = 2
    assert pd.validate() == {"a": 2, "b": "text"}
    pd["a"] = "two"
    with pytest.raises(ParamValidationError, match="param 'a'"):
        pd.validate()
    assert ParamsDict({"a": Param("x", type="integer")}, suppress_exception=True).validate() == \
        {"a": None}


def test_dag_keeps_params_and_serializes_their_schema():
    with DAG("p", params=ParamsDict({"n": Param(3, type="integer", minimum=1)}),
             schedule=None) as dag:
        EmptyOperator(task_id="t", params={"k": Param("v")})
    data = serialize_dag(dag)
    assert data["params"] == {"n": 3}
    assert data["params_schema"] == {"n": {"schema": {"type": "integer", "minimum": 1},
                                           "default": 3}}
    assert "params_schema" not in serialize_dag(DAG("plain", params={"a": 1}, schedule=None))


def test_a_default_that_breaks_its_own_schema_is_a_dag_error():
    with pytest.raises(DagDefinitionError, match="DAG 'bad': default of param 'n'"):
        DAG("bad", params={"n": Param(0, type="integer", minimum=1)}, schedule=None)
