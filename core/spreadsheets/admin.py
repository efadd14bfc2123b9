"""The admin side of imports and exports: size limit, one upload format that detects
xlsx/CSV, Chinese messages, and a failed confirm that never reports success.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.utils.translation import gettext_lazy as _
from import_export.admin import ImportExportMixin
from import_export.forms import ImportForm
from import_export.results import Result

from core.imports.base import importer_for
from core.imports.selectors import job_token
from core.imports.services import ImportRefused, import_job_create
from core.models import ImportJob

from .export import CSVExport, XLSXExport
from .forms import SpreadsheetUploadForm
from .reading import (
    SAVE_AS_HINT,
    SpreadsheetError,
    SpreadsheetImportFormat,
    check_size,
    format_bytes,
)
from .resources import import_summary, row_problems

# ----------------------------------------------------------------------------- admin


class SpreadsheetImportForm(ImportForm):
    """The upload form: refuses oversized or empty files before anything is read."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["import_file"].label = _("要导入的文件")
        self.fields["import_file"].help_text = _(
            "xlsx 工作簿，或 UTF-8（可带 BOM）/ GBK 编码的 CSV，不超过 %(limit)s。第 1 行为表头。"
        ) % {"limit": format_bytes(settings.IMPORT_MAX_BYTES)}
        self.fields["format"].label = _("格式")

    def clean_import_file(self) -> Any:
        upload = self.cleaned_data["import_file"]
        try:
            check_size(upload.size)
        except SpreadsheetError as exc:
            raise forms.ValidationError(exc.messages) from exc
        return upload


class SpreadsheetAdminMixin(ImportExportMixin):
    """Import (preview, then confirm) and export for a ModelAdmin, the project's way.

    The ModelAdmin's ``get_queryset`` is already scoped to the user, so exports are
    too; resources receive ``user`` so imports check the same scope. With
    ``import_kind`` set (an importer registered with core.imports), the import page
    uploads the file into a background job and sends the user to the job's page
    (progress, preview, confirm); the library's own import is not used.
    """

    import_kind: str | None = None
    upload_form_class: type[forms.Form] = SpreadsheetUploadForm
    import_form_class = SpreadsheetImportForm
    import_template_name = "admin/spreadsheets/import.html"
    import_error_display = ("message",)

    def get_import_formats(self) -> list[type]:
        return [SpreadsheetImportFormat]

    def get_export_formats(self) -> list[type]:
        return [XLSXExport, CSVExport]

    def get_import_resource_kwargs(self, request: HttpRequest, **kwargs: Any) -> dict[str, Any]:
        return {"user": request.user}

    def get_export_resource_kwargs(self, request: HttpRequest, **kwargs: Any) -> dict[str, Any]:
        return {"user": request.user}

    def get_import_data_kwargs(self, **kwargs: Any) -> dict[str, Any]:
        kwargs.pop("form", None)
        kwargs.pop("request", None)
        kwargs["rollback_on_validation_errors"] = True
        return kwargs

    def add_data_read_fail_error_to_form(self, form: forms.Form, e: Exception) -> None:
        if isinstance(e, ValidationError):
            for message in e.messages:
                form.add_error("import_file", message)
        else:
            form.add_error("import_file", _("无法读取这个文件。") + str(SAVE_AS_HINT))

    def _fields_list(self, request: HttpRequest) -> list[tuple[str, list[str]]]:
        """The columns each resource reads, listed on the import page."""
        resources = [
            cls(**self.get_import_resource_kwargs(request))
            for cls in self.get_import_resource_classes(request)
        ]
        return [
            (r.get_display_name(), [f.column_name for f in r.get_user_visible_fields()])
            for r in resources
        ]

    def get_import_params(self, request: HttpRequest, form: forms.Form) -> dict[str, Any]:
        """Importer parameters from the upload form (e.g. the rubric version chosen)."""
        return {}

    def _job_import_action(self, request: HttpRequest, kind: str) -> HttpResponse:
        user = request.user
        if not self.has_import_permission(request) or not user.is_authenticated:
            raise PermissionDenied
        importer = importer_for(kind)
        form = self.upload_form_class(request.POST or None, request.FILES or None)
        if request.method == "POST" and form.is_valid():
            try:
                job = import_job_create(
                    kind=kind,
                    upload=form.cleaned_data["file"],
                    by=user,
                    params=self.get_import_params(request, form),
                )
            except ImportRefused as exc:
                form.add_error(None, exc.message)
            else:
                return redirect("imports:job", token=job_token(job))
        recent = ImportJob.objects.filter(kind=kind, created_by=user)[:5]
        columns = list(importer(user=user).columns) if importer else []
        context = {
            **self.admin_site.each_context(request),
            "title": _("导入%(name)s") % {"name": self.model._meta.verbose_name_plural},
            "opts": self.model._meta,
            "form": form,
            "columns": columns,
            "recent_jobs": [(job, job_token(job)) for job in recent],
        }
        request.current_app = self.admin_site.name
        return TemplateResponse(request, "admin/spreadsheets/upload.html", context)

    def process_import(self, request: HttpRequest, **kwargs: Any) -> HttpResponse:
        if self.import_kind is None:
            return super().process_import(request, **kwargs)
        if not self.has_import_permission(request):
            raise PermissionDenied
        # Confirming happens on the job's page now; an old form lands on the upload page.
        return redirect(f"admin:{self.model._meta.app_label}_{self.model._meta.model_name}_import")

    def import_action(self, request: HttpRequest, **kwargs: Any) -> HttpResponse:
        if self.import_kind is not None:
            return self._job_import_action(request, self.import_kind)
        response = super().import_action(request, **kwargs)
        context = getattr(response, "context_data", None)
        if context is None:
            return response
        if context.get("result") is not None:
            context["row_problems"] = row_problems(context["result"])
            context["import_summary"] = import_summary(context["result"])
        if not context.get("fields_list") or not any(
            cols for _name, cols in context["fields_list"]
        ):
            # The library leaves the column list empty when the file could not be read:
            # exactly when the person most needs to see which columns are expected.
            context["fields_list"] = self._fields_list(request)
        return response

    def process_result(self, result: Result, request: HttpRequest) -> HttpResponse:
        # The confirm step imports again; if the data changed since the preview and a row
        # now fails, the import was rolled back: say so, list why, never "finished".
        if result.has_errors() or result.has_validation_errors():
            messages.error(request, _("导入未完成，没有写入任何数据。请修正下列问题后重新上传。"))
            context = self.admin_site.each_context(request)
            form = self.get_import_form_class(request)(
                self.get_import_formats(), self.get_import_resource_classes(request)
            )
            context.update(
                {
                    "title": _("导入"),
                    "form": form,
                    "opts": self.model._meta,
                    "result": result,
                    "row_problems": row_problems(result),
                    "import_error_display": self.import_error_display,
                    "fields_list": self._fields_list(request),
                    "media": self.media + form.media,
                }
            )
            request.current_app = self.admin_site.name
            return TemplateResponse(request, [self.import_template_name], context)
        return super().process_result(result, request)

    def add_success_message(self, result: Result, request: HttpRequest) -> None:
        messages.success(
            request,
            _("导入完成（%(name)s）：%(summary)s")
            % {"name": self.model._meta.verbose_name_plural, "summary": import_summary(result)},
        )

    def get_export_data(
        self, file_format: Any, request: HttpRequest, queryset: Any, **kwargs: Any
    ) -> bytes:
        if not self.has_export_permission(request):
            raise PermissionDenied
        data = self.get_data_for_export(
            request,
            queryset,
            force_native_type=getattr(file_format, "native_types", False),
            **kwargs,
        )
        return file_format.export_data(data)
