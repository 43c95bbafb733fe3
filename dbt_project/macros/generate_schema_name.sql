{# Use the folder schema as is (staging, intermediate, marts, ref) rather than main_<schema>. #}
{% macro generate_schema_name(custom_schema_name, node) -%}
    {{ custom_schema_name if custom_schema_name else target.schema }}
{%- endmacro %}
