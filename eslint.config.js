import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/', 'node_modules/', 'data/', 'web/dist/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  {
    // Dependencies point one way (DESIGN.md): core imports nothing else of src/.
    files: ['src/core/**'],
    rules: {
      'no-restricted-imports': ['error', { patterns: ['../*/**', '../../*'] }],
    },
  },
);
