# lib-content.sh: rule content (what the content service serves, the
# RuleContentDirectory as JSON) for the tests.
#
# content_json RULE KEY=DESCRIPTION...   prints content with the one
#     external rule RULE and an error key per argument, each of impact 3,
#     likelihood 3, total risk 3 and the tag osd_customer

content_json() {
	_rule=$1; shift
	printf '{"Config": {"impact": {}},\n "Rules": {"%s": {\n' "$_rule"
	printf '   "plugin": {"name": "%s", "node_id": "", "product_code": "",\n' "$_rule"
	printf '              "python_module": "ccx_rules_ocp.external.rules.%s"},\n' "$_rule"
	_sep='   "error_keys": {'
	for _k; do
		printf '%s"%s": {"metadata": {"description": "%s",\n' "$_sep" "${_k%%=*}" "${_k#*=}"
		printf '      "impact": {"name": "Big", "impact": 3}, "likelihood": 3,\n'
		printf '      "tags": ["osd_customer"]}, "total_risk": 3}'
		_sep=',
                  '
	done
	printf '},\n   "generic": "g", "summary": "", "resolution": "", "more_info": "",\n'
	printf '   "reason": "r", "HasReason": true}}}\n'
}
