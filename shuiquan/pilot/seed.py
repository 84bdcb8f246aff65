"""Load the pilot's plan (Table 9-1, the task list, the §9.5 budget) — idempotent."""

from django.db import transaction

from .data import BUDGET, TABLE_9_1, TASK_LIST
from .models import BudgetItem, PilotTask, TaskSource


def _year_end(years: str) -> int:
    return int(years.replace("–", "-").split("-")[-1])


@transaction.atomic
def load() -> dict[str, int]:
    for number, title, years, responsible in TABLE_9_1:
        PilotTask.objects.update_or_create(
            source=TaskSource.TABLE_9_1, number=number, sub_number=0,
            defaults={"title": title, "years": years, "year_end": _year_end(years), "responsible": responsible},
        )
    n_list = 0
    for number, years, title, items in TASK_LIST:
        for sub, content in enumerate(items, start=1):
            PilotTask.objects.update_or_create(
                source=TaskSource.TASK_LIST, number=number, sub_number=sub if len(items) > 1 else 0,
                defaults={"title": title, "years": years, "year_end": _year_end(years), "content": content,
                          "responsible": "市水利局"},
            )
            n_list += 1
    for code, name, amount in BUDGET:
        BudgetItem.objects.update_or_create(code=code, defaults={"name": name, "amount": amount})
    return {"table_9_1": len(TABLE_9_1), "task_list_items": n_list, "budget_items": len(BUDGET)}
