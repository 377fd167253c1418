"""Rule tables: auto-reply rules (match kind, pattern, reply) and a relay's rewrite rules
(kind, pattern, replacement, which way), each read back as its config."""

from __future__ import annotations

from PySide6.QtCore import Slot
from PySide6.QtWidgets import (
    QComboBox,
    QGroupBox,
    QHeaderView,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
)

from netlab.core.autoreply import MatchKind, Rule
from netlab.core.config import ConfigError, FieldProblem
from netlab.core.variables import VARIABLES
from netlab.tcp.rewrite import Rewrite, RewriteKind, Toward
from ui.common.widgets import hbox, named

DEFAULT_RULES = (
    (MatchKind.EXACT, "ping", r"pong {counter}\r\n"),
    (MatchKind.CONTAINS, "time", r"It is {time}\r\n"),
)


class RulesEditor(QGroupBox):
    """Rules in the order they are tried; the first that matches answers."""

    def __init__(self, prefix: str) -> None:
        super().__init__("Auto-reply rules (first match wins)")
        self.prefix = prefix
        self.setObjectName(f"{prefix}RulesBox")
        self.table = named(QTableWidget(0, 3), f"{prefix}Rules", "Auto-reply rules")
        self.table.setHorizontalHeaderLabels(["Match", "Pattern", "Reply"])
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.setToolTip(
            "Reply variables: " + " ".join("{" + v + "}" for v in VARIABLES) + r"; \r\n work"
        )
        self.add_button = named(QPushButton("Add rule"), f"{prefix}AddRule", "Add an auto-reply rule")
        self.remove_button = named(
            QPushButton("Remove rule"), f"{prefix}RemoveRule", "Remove the selected rule"
        )
        layout = QVBoxLayout(self)
        layout.addWidget(self.table)
        layout.addLayout(hbox(self.add_button, self.remove_button, None))
        self.add_button.clicked.connect(lambda: self.add_rule(*DEFAULT_RULES[0]))
        self.remove_button.clicked.connect(self._on_remove_clicked)

    def add_rule(self, match: MatchKind, pattern: str, reply: str) -> None:
        row = self.table.rowCount()
        self.table.insertRow(row)
        kind = named(QComboBox(), f"{self.prefix}RuleMatch{row + 1}", f"Rule {row + 1} match")
        for option in MatchKind:
            kind.addItem(option.value, option.value)
        kind.setCurrentIndex(list(MatchKind).index(match))
        self.table.setCellWidget(row, 0, kind)
        self.table.setItem(row, 1, QTableWidgetItem(pattern))
        self.table.setItem(row, 2, QTableWidgetItem(reply))

    def ensure_some(self) -> None:
        """A first look at rules mode shows two examples rather than an empty table."""
        if self.table.rowCount() == 0:
            for rule in DEFAULT_RULES:
                self.add_rule(*rule)

    def set_rules(self, rules: tuple[Rule, ...]) -> None:
        self.table.setRowCount(0)
        for rule in rules:
            self.add_rule(rule.match, rule.pattern, rule.reply)

    def rules(self) -> tuple[Rule, ...]:
        """The table as rules; raises ConfigError for a bad one."""
        rules = []
        for row in range(self.table.rowCount()):
            kind = self.table.cellWidget(row, 0)
            assert isinstance(kind, QComboBox)
            pattern, reply = self.table.item(row, 1), self.table.item(row, 2)
            try:
                rules.append(
                    Rule(
                        MatchKind(kind.currentData()),
                        pattern.text() if pattern else "",
                        reply.text() if reply else "",
                    )
                )
            except ConfigError as exc:  # a rule's own fields live in one table: mark the table
                raise ConfigError(
                    FieldProblem("rules", f"Rule {row + 1}: {p.message}", p.hint) for p in exc.problems
                ) from None
        return tuple(rules)

    def kept_rules(self) -> tuple[Rule, ...]:
        """Outside auto-reply mode the hidden table is kept as it is, unless a rule is unfinished."""
        try:
            return self.rules()
        except ConfigError:
            return ()

    @Slot()
    def _on_remove_clicked(self) -> None:
        row = self.table.currentRow()
        if row >= 0:
            self.table.removeRow(row)


class RewritesEditor(QGroupBox):
    """A relay's rewrite rules, applied in the order listed to each piece of relayed bytes."""

    def __init__(self, prefix: str) -> None:
        super().__init__("Rewrite relayed bytes (in order; each rewrite is counted in the log)")
        self.prefix = prefix
        self.setObjectName(f"{prefix}RewritesBox")
        self.table = named(QTableWidget(0, 4), f"{prefix}Rewrites", "Rewrite rules")
        self.table.setHorizontalHeaderLabels(["Kind", "Match", "Replace with", "Way"])
        header = self.table.horizontalHeader()
        for column in (1, 2):  # the match and its replacement take the room; kind and way fit their words
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.Stretch)
        self.table.setToolTip(
            r"text: \r\n and \xNN work; hex: bytes such as 0d 0a; regex: over the bytes,"
            r" \1 puts a group back. A match split across two reads is not seen"
        )
        self.add_button = named(QPushButton("Add rewrite"), f"{prefix}AddRewrite", "Add a rewrite rule")
        self.remove_button = named(
            QPushButton("Remove rewrite"), f"{prefix}RemoveRewrite", "Remove the selected rewrite rule"
        )
        layout = QVBoxLayout(self)
        layout.addWidget(self.table)
        layout.addLayout(hbox(self.add_button, self.remove_button, None))
        self.add_button.clicked.connect(lambda: self.add_rewrite(Rewrite()))
        self.remove_button.clicked.connect(self._on_remove_clicked)

    def _combo(self, row: int, column: int, values: list[str], value: str, what: str) -> None:
        combo = named(
            QComboBox(), f"{self.prefix}Rewrite{what}{row + 1}", f"Rewrite {row + 1} {what.lower()}"
        )
        for option in values:
            combo.addItem(option, option)
        combo.setCurrentIndex(values.index(value))
        self.table.setCellWidget(row, column, combo)

    def add_rewrite(self, rule: Rewrite) -> None:
        row = self.table.rowCount()
        self.table.insertRow(row)
        self._combo(row, 0, [k.value for k in RewriteKind], rule.kind.value, "Kind")
        self.table.setItem(row, 1, QTableWidgetItem(rule.pattern))
        self.table.setItem(row, 2, QTableWidgetItem(rule.replacement))
        self._combo(row, 3, [t.value for t in Toward], rule.toward.value, "Way")

    def set_rewrites(self, rules: tuple[Rewrite, ...]) -> None:
        self.table.setRowCount(0)
        for rule in rules:
            self.add_rewrite(rule)

    def rewrites(self) -> tuple[Rewrite, ...]:
        """The table as rewrite rules; raises ConfigError for a bad one."""
        rules = []
        for row in range(self.table.rowCount()):
            kind, way = self.table.cellWidget(row, 0), self.table.cellWidget(row, 3)
            assert isinstance(kind, QComboBox) and isinstance(way, QComboBox)
            pattern, replacement = self.table.item(row, 1), self.table.item(row, 2)
            try:
                rules.append(
                    Rewrite(
                        RewriteKind(kind.currentData()),
                        pattern.text() if pattern else "",
                        replacement.text() if replacement else "",
                        Toward(way.currentData()),
                    )
                )
            except ConfigError as exc:  # a rule's own fields live in one table: mark the table
                raise ConfigError(
                    FieldProblem("rewrites", f"Rewrite {row + 1}: {p.message}", p.hint) for p in exc.problems
                ) from None
        return tuple(rules)

    @Slot()
    def _on_remove_clicked(self) -> None:
        row = self.table.currentRow()
        if row >= 0:
            self.table.removeRow(row)
