"""Admin pages to edit the sandbox LMS data by hand while trying learning_credentials out."""

from django.contrib import admin

from . import models


class LearningPathStepInline(admin.TabularInline):
    model = models.LearningPathStep
    extra = 1


@admin.register(models.Course)
class CourseAdmin(admin.ModelAdmin):
    list_display = ("key", "display_name", "organization")
    search_fields = ("key", "display_name")


@admin.register(models.LearningPath)
class LearningPathAdmin(admin.ModelAdmin):
    list_display = ("key", "display_name", "organization")
    search_fields = ("key", "display_name")
    inlines = [LearningPathStepInline]


@admin.register(models.Profile)
class ProfileAdmin(admin.ModelAdmin):
    list_display = ("user", "full_name", "language")
    search_fields = ("user__username", "full_name")


@admin.register(models.Enrollment)
class EnrollmentAdmin(admin.ModelAdmin):
    list_display = ("user", "context_key", "is_active")
    list_filter = ("is_active",)
    search_fields = ("user__username", "context_key")


@admin.register(models.Assessment)
class AssessmentAdmin(admin.ModelAdmin):
    list_display = ("course", "assessment_id", "category")
    list_filter = ("course", "category")
    search_fields = ("assessment_id",)


@admin.register(models.AssessmentGrade)
class AssessmentGradeAdmin(admin.ModelAdmin):
    list_display = ("user", "course", "assessment_id", "category", "earned", "possible")
    list_filter = ("course", "category")
    search_fields = ("user__username", "assessment_id")


@admin.register(models.Completion)
class CompletionAdmin(admin.ModelAdmin):
    list_display = ("user", "course", "fraction")
    list_filter = ("course",)
    search_fields = ("user__username",)


@admin.register(models.CourseStaff)
class CourseStaffAdmin(admin.ModelAdmin):
    list_display = ("user", "context_key")
    search_fields = ("user__username", "context_key")


@admin.register(models.Order)
class OrderAdmin(admin.ModelAdmin):
    list_display = ("reference", "user", "context_key", "amount", "currency", "paid_at")
    search_fields = ("reference", "user__username", "context_key")
