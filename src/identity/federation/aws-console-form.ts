import { AWS_SAML_ENDPOINT } from './aws-saml-response.js';

/**
 * The SAML HTTP-POST binding as a page: a form that posts the signed response to AWS's sign-in endpoint as
 * soon as it loads (with a button when scripts are off). AWS then opens the console as the assumed role. The page
 * holds a bearer credential for five minutes: whoever opens it signs in.
 */
export function awsConsoleSignInForm(samlResponse: string, what: string): string {
  return [
    '<!DOCTYPE html>',
    '<html lang="en">',
    '<head>',
    '<meta charset="utf-8">',
    '<meta name="referrer" content="no-referrer">',
    `<title>Signing in to the AWS console as ${escapeHtml(what)}</title>`,
    '</head>',
    '<body onload="document.forms[0].submit()">',
    `<form method="post" action="${AWS_SAML_ENDPOINT}">`,
    `<input type="hidden" name="SAMLResponse" value="${escapeHtml(samlResponse)}">`,
    `<p>Signing in to the AWS console as ${escapeHtml(what)}…</p>`,
    '<noscript><button type="submit">Continue to the AWS console</button></noscript>',
    '</form>',
    '</body>',
    '</html>',
    '',
  ].join('\n');
}

function escapeHtml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;');
}
