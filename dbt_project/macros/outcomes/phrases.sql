{#
    Splitting free text (call notes) into the tokens mart_customer_phrases counts n-grams over.
    A token is either a word - a run of letters and digits, lower-cased, where an apostrophe or
    a hyphen between two of them stays part of the word (didn't, t-shirt), so a product name is
    not cut into a fake two-word phrase ('t shirt') - or one phrase-breaking punctuation mark
    (phrase_break_characters), which ends a sentence or clause so that no phrase runs across it.
    Every other character (spaces, quotes, brackets, slashes, a leading or trailing apostrophe
    or hyphen) only separates words. A typographic apostrophe (’) reads as '.
#}

{#- The punctuation marks that end a phrase, as a list of one-character strings. -#}
{% macro phrase_break_characters() -%}
    {{ return(['.', ',', ';', ':', '!', '?']) }}
{%- endmacro %}

{#- SQL `in (...)` list of phrase_break_characters, for `token in {{ ... }}`. -#}
{% macro phrase_break_list() -%}
    ({%- for mark in listenloop.phrase_break_characters() -%}
        '{{ mark }}'{{ ', ' if not loop.last }}
    {%- endfor -%})
{%- endmacro %}

{#- The bracket expression matching one phrase-breaking mark. -#}
{% macro phrase_break_pattern() -%}
    [{{ listenloop.phrase_break_characters() | join('') }}]
{%- endmacro %}

{#- The lower-cased text with typographic apostrophes read as ASCII ones. -#}
{% macro normalized_text(text_column) -%}
    replace(lower({{ text_column }}), '’', '''')
{%- endmacro %}

{#
    A join clause turning a text column into one row per token with its 1-based position in the
    text: `from t {{ text_to_tokens('t.notes', 'token', 'token_position') }}`. Rows whose text is
    null produce no rows.
#}
{% macro text_to_tokens(text_column, token_alias, position_alias) -%}
    {{ return(adapter.dispatch('text_to_tokens', 'listenloop')(text_column, token_alias, position_alias)) }}
{%- endmacro %}

{#- PostgreSQL: regexp_matches returns one text[] per match ('g'); with no capturing group, the
    whole match is its first element. [[:alnum:]] follows the database's Unicode locale. -#}
{% macro default__text_to_tokens(text_column, token_alias, position_alias) -%}
    cross join lateral (
        select
            token_match.matched[1] as {{ token_alias }},
            token_match.match_position as {{ position_alias }}
        from regexp_matches(
            {{ listenloop.normalized_text(text_column) }},
            '[[:alnum:]]+(?:[''-][[:alnum:]]+)*|{{ listenloop.phrase_break_pattern() }}',
            'g'
        ) with ordinality as token_match (matched, match_position)
    ) as token_rows
{%- endmacro %}

{#- DuckDB (RE2): \p{L} and \p{N} are any Unicode letter and digit. -#}
{% macro duckdb__text_to_tokens(text_column, token_alias, position_alias) -%}
    cross join unnest(regexp_extract_all(
        {{ listenloop.normalized_text(text_column) }},
        '[\p{L}\p{N}]+(?:[''-][\p{L}\p{N}]+)*|{{ listenloop.phrase_break_pattern() }}'
    )) with ordinality as token_rows ({{ token_alias }}, {{ position_alias }})
{%- endmacro %}
